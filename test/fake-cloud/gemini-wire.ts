import type { CloudAnswer } from "./cloud-script.ts";
import { deltas } from "./cloud-script.ts";

const usage = (answer: CloudAnswer) => ({
  promptTokenCount: answer.inputTokens,
  candidatesTokenCount: answer.outputTokens,
  thoughtsTokenCount: 3,
  totalTokenCount: answer.inputTokens + answer.outputTokens + 3,
});

const candidate = (parts: object[], finishReason?: string) => ({
  content: { role: "model", parts },
  ...(finishReason ? { finishReason } : {}),
  index: 0,
});

/**
 * The signature this fake's Gemini signs its function calls with, as Gemini 3 does: standard
 * base64 with the characters base64url replaces, and padding.
 */
export const THOUGHT_SIGNATURE = "++++CiIBVKhc7oXs/w==";
/** Google's placeholder for a call Gemini did not sign as it stands, which Gemini 3 takes instead. */
const UNSIGNED_CALL_SIGNATURE = "skip_thought_signature_validator";

const signedCall = (tool: NonNullable<CloudAnswer["tool"]>) => ({
  functionCall: { name: tool.name, args: tool.args },
  thoughtSignature: THOUGHT_SIGNATURE,
});

/** A request's turns as far as the signature rule reads them. */
export interface GeminiContents {
  contents: Array<{
    role: string;
    parts: Array<{ text?: string; functionCall?: object; thoughtSignature?: string }>;
  }>;
}

/**
 * Gemini 3's rule: in the current turn (after the last user text), each model step's first
 * function call carries the signature it was answered with, or Google's placeholder; else a 400
 * in Gemini's words.
 */
export function missingSignature(request: GeminiContents): string | undefined {
  const lastText = request.contents.findLastIndex((c) => c.role === "user" && c.parts.some((p) => p.text));
  for (const [i, content] of request.contents.entries()) {
    const first = content.parts.find((part) => part.functionCall);
    if (i < lastText || content.role !== "model" || !first) continue;
    if (first.thoughtSignature !== THOUGHT_SIGNATURE && first.thoughtSignature !== UNSIGNED_CALL_SIGNATURE)
      return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:get_weather\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`;
  }
  return undefined;
}

/** A request's thinking settings, as far as Gemini's rules for them read them. */
export interface GeminiThinking {
  generationConfig?: {
    thinkingConfig?: { thinkingLevel?: string; thinkingBudget?: number; includeThoughts?: boolean };
  };
}

/**
 * Whether Google shows the model's thinking: its thought summaries, parts marked `thought: true`,
 * come only when asked (`includeThoughts`).
 */
export const showsThoughts = (request: GeminiThinking): boolean =>
  request.generationConfig?.thinkingConfig?.includeThoughts === true;

/** The thought summary the fake's model shows when asked. */
const THOUGHT = { text: "thinking…", thought: true };

/** What a Gemini model takes of `thinkingConfig`, as Google's model table says it. */
interface ModelThinking {
  /** The thinking levels it takes (Gemini 3 and later); none before Gemini 3. */
  levels?: readonly string[];
  /** It only works in thinking mode: a budget of 0 is refused. */
  thinksAlways?: true;
  /**
   * Its thinking is off unless a budget turns it on (2.5 Flash-Lite): `includeThoughts` alone is
   * refused (Vertex AI: "…Thinking_config.include_thoughts is only enabled when thinking is enabled.").
   */
  thinksOnlyAsked?: true;
  /** It does not think at all (2.0, the image and TTS models): any thinking config is refused. */
  thinksNot?: true;
}

/**
 * Google's table by model id (ai.google.dev/gemini-api/docs/thinking, the Vertex AI model pages),
 * written out, not read from the names as the gateway's rule does (openai-to-gemini/thinking-
 * config.ts): so a model that rule misjudges is refused here as Gemini refuses it. A model not
 * listed takes no level, as a model before Gemini 3.
 */
const THINKING: Readonly<Record<string, ModelThinking>> = {
  "gemini-2.5-pro": { thinksAlways: true },
  "gemini-2.5-flash": {},
  "gemini-2.5-flash-lite": { thinksOnlyAsked: true },
  "gemini-2.0-flash": { thinksNot: true },
  "gemini-2.5-flash-image": { thinksNot: true },
  "gemini-2.5-flash-preview-tts": { thinksNot: true },
  "gemini-3-pro-preview": { levels: ["low", "high"], thinksAlways: true },
  "gemini-3.1-pro-preview": { levels: ["low", "medium", "high"], thinksAlways: true },
  "gemini-3-flash-preview": { levels: ["minimal", "low", "medium", "high"] },
  "gemini-3.1-flash-lite-preview": { levels: ["minimal", "low", "medium", "high"] },
  // Flash from 3.7 on has no `minimal`: LOW, MEDIUM (its default) and HIGH.
  "gemini-3.7-flash": { levels: ["low", "medium", "high"] },
  "gemini-3.8-flash": { levels: ["low", "medium", "high"] },
};

/**
 * Gemini's rules for `thinkingConfig`, in its words (`vertex`: Vertex AI's, else the Gemini API's):
 * any config on a model that does not think, thoughts asked of a model whose thinking is off, a
 * level on a model before Gemini 3, a level the model has not, a budget of 0 on a model that only
 * works in thinking mode. Gemini 3 takes a budget too (backward compatibility), so what it was sent
 * is for the test to read.
 */
export function thinkingRefusal(model: string, request: GeminiThinking, vertex = false): string | undefined {
  const thinking = request.generationConfig?.thinkingConfig;
  const level = thinking?.thinkingLevel;
  const table = THINKING[model] ?? {};
  if (thinking !== undefined && table.thinksNot)
    return vertex
      ? `${VERTEX_LEAD}thinking is not supported by this model${VERTEX_TAIL}`
      : `Thinking is not enabled for models/${model}`;
  // Vertex AI's words, recorded (google-gemini/gemini-cli#1953); the Gemini API's are not, so its
  // fake says the same.
  const budget = thinking?.thinkingBudget;
  if (thinking?.includeThoughts === true && table.thinksOnlyAsked && (budget === undefined || budget === 0))
    return `${vertex ? VERTEX_LEAD : ""}Thinking_config.include_thoughts is only enabled when thinking is enabled.${vertex ? VERTEX_TAIL : ""}`;
  if (level !== undefined && table.levels === undefined)
    return "Thinking level is not supported for this model.";
  if (level !== undefined && !table.levels?.includes(level))
    return `Thinking level ${level.toUpperCase()} is not supported for this model. Please retry with other thinking level.`;
  if (thinking?.thinkingBudget === 0 && table.thinksAlways)
    return "Budget 0 is invalid. This model only works in thinking mode.";
  return undefined;
}

const VERTEX_LEAD = "Unable to submit request because ";
const VERTEX_TAIL =
  ". Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini";

/** A request's `generationConfig.stopSequences`, as Google's stop rule reads it. */
export interface GeminiStops {
  generationConfig?: { stopSequences?: readonly string[] };
}

/**
 * Google's bound on `stopSequences`, in its words (Vertex AI's 400 INVALID_ARGUMENT, which the
 * Gemini API shares): a list is 1 to 5 sequences, so an empty one (`[]`) is refused, not read
 * as none.
 */
export function stopSequencesRefusal(request: GeminiStops): string | undefined {
  const stops = request.generationConfig?.stopSequences;
  if (stops === undefined || (stops.length >= 1 && stops.length <= 5)) return undefined;
  return `Unable to submit request because it has a stopSequences value of ${stops.length} but the supported range is from 1 (inclusive) to 6 (exclusive). Update the value and try again.`;
}

/** A `generateContent` answer: the thought summary first when asked (`thoughts`), then the text or call. */
export function generateContentJson(answer: CloudAnswer, model: string, thoughts = false): object {
  const parts = answer.tool
    ? [signedCall(answer.tool)]
    : [...(thoughts ? [THOUGHT] : []), { text: answer.text }];
  return {
    candidates: [candidate(parts, "STOP")],
    usageMetadata: usage(answer),
    modelVersion: model,
    responseId: "fake-resp-1",
  };
}

/**
 * `streamGenerateContent?alt=sse` events: partial responses (the thought summary first, when asked),
 * the last with finishReason and usage.
 */
export function generateContentEvents(answer: CloudAnswer, model: string, thoughts = false): string[] {
  const events: object[] = thoughts ? [{ candidates: [candidate([THOUGHT])], modelVersion: model }] : [];
  if (answer.tool) events.push({ candidates: [candidate([signedCall(answer.tool)])] });
  else
    for (const text of deltas(answer.text))
      events.push({ candidates: [candidate([{ text }])], modelVersion: model });
  events.push({
    candidates: [candidate([{ text: "" }], "STOP")],
    usageMetadata: usage(answer),
    modelVersion: model,
  });
  return events.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`);
}

/**
 * What Google adds to an error's `details`: ErrorInfo's reason, RetryInfo's delay; `inArray`: the
 * envelope as a JSON array's one element, as `streamGenerateContent` without `alt=sse` sends it.
 */
export interface GoogleErrorDetails {
  reason?: string;
  retryDelay?: string;
  inArray?: boolean;
}

/** Google's error envelope (google.rpc.Status), with the details Google sends beside it. */
export const googleError = (
  code: number,
  status: string,
  message: string,
  { reason, retryDelay, inArray }: GoogleErrorDetails = {},
): object => {
  const details = [
    ...(reason
      ? [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "googleapis.com" }]
      : []),
    ...(retryDelay ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] : []),
  ];
  const envelope = { error: { code, message, status, ...(details.length ? { details } : {}) } };
  return inArray ? [envelope] : envelope;
};
