import { EventStreamCodec } from "@smithy/core/event-streams";
import type { CloudAnswer, CloudReasoning } from "./cloud-script.ts";
import { deltas } from "./cloud-script.ts";

const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

/** One ConverseStream frame as Bedrock writes it (prelude, headers, payload, CRCs). */
export function eventFrame(type: string, payload: object): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: new TextEncoder().encode(JSON.stringify({ ...payload, p: "abcdefghij" })),
  });
}

/** A mid-stream exception frame (`:message-type: exception`). */
export function exceptionFrame(type: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ":exception-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "exception" },
    },
    body: new TextEncoder().encode(JSON.stringify({ message })),
  });
}

/**
 * TokenUsage: `inputTokens` the prompt's uncached tokens, cache reads and writes beside it, the
 * total all of them and the output; where the answer says how many writes live an hour, the writes
 * by lifetime in `cacheDetails` (CacheDetail: `1h` before `5m`).
 */
const usage = (answer: CloudAnswer) => {
  const { read, write, hour } = answer.cache ?? { read: 2, write: 0 };
  return {
    inputTokens: answer.inputTokens,
    outputTokens: answer.outputTokens,
    totalTokens: answer.inputTokens + read + write + answer.outputTokens,
    cacheReadInputTokens: read,
    cacheWriteInputTokens: write,
    ...(hour === undefined
      ? {}
      : {
          cacheDetails: [
            { ttl: "1h", inputTokens: hour },
            { ttl: "5m", inputTokens: write - hour },
          ].filter((detail) => detail.inputTokens > 0),
        }),
  };
};

/** A ReasoningContentBlock: `reasoningText` (with its signature, if any) or `redactedContent`. */
const reasoningBlock = (reasoning: CloudReasoning) =>
  "redacted" in reasoning
    ? { reasoningContent: { redactedContent: reasoning.redacted } }
    : {
        reasoningContent: {
          reasoningText: {
            text: reasoning.text,
            ...(reasoning.signature !== undefined ? { signature: reasoning.signature } : {}),
          },
        },
      };

/** The answer's stopReason, and what Claude says beside it (ConverseOutput's `additionalModelResponseFields`). */
const stopOf = (answer: CloudAnswer) => ({
  stopReason: answer.stop?.reason ?? (answer.tool ? "tool_use" : "end_turn"),
  ...(answer.stop ? { additionalModelResponseFields: { stop_sequence: answer.stop.sequence ?? null } } : {}),
});

/**
 * The Converse answer, or with `failedStop` (`malformed_tool_use`, `malformed_model_output`) a turn
 * that ends so with nothing written, as Bedrock ends one its model could not form. Its reasoning
 * blocks come first, as the model wrote them.
 */
export function converseJson(answer: CloudAnswer, failedStop?: string): object {
  const content = failedStop
    ? []
    : [
        ...(answer.reasoning ?? []).map(reasoningBlock),
        ...(answer.tool
          ? [{ toolUse: { toolUseId: "tooluse_fake1", name: answer.tool.name, input: answer.tool.args } }]
          : [{ text: answer.text }]),
      ];
  return {
    output: { message: { role: "assistant", content } },
    ...(failedStop ? { stopReason: failedStop } : stopOf(answer)),
    usage: usage(answer),
    metrics: { latencyMs: 12 },
  };
}

/** ConverseStream's frames of the answer, or of a turn that ends in `failedStop` (`converseJson`). */
export function converseFrames(answer: CloudAnswer, failedStop?: string): Uint8Array[] {
  const frames = [eventFrame("messageStart", { role: "assistant" })];
  if (failedStop) {
    frames.push(eventFrame("messageStop", { stopReason: failedStop }));
    frames.push(eventFrame("metadata", { usage: usage(answer), metrics: { latencyMs: 12 } }));
    return frames;
  }
  // Each reasoning block as ConverseStream writes one (no contentBlockStart): its text in pieces,
  // then its signature in a delta of its own; a redacted block's data in one delta.
  const reasoning = answer.reasoning ?? [];
  for (const [contentBlockIndex, block] of reasoning.entries()) {
    const delta = (reasoningContent: object) =>
      eventFrame("contentBlockDelta", { contentBlockIndex, delta: { reasoningContent } });
    if ("redacted" in block) frames.push(delta({ redactedContent: block.redacted }));
    else {
      for (const text of deltas(block.text)) frames.push(delta({ text }));
      if (block.signature !== undefined) frames.push(delta({ signature: block.signature }));
    }
    frames.push(eventFrame("contentBlockStop", { contentBlockIndex }));
  }
  const contentBlockIndex = reasoning.length;
  if (answer.tool) {
    frames.push(
      eventFrame("contentBlockStart", {
        contentBlockIndex,
        start: { toolUse: { toolUseId: "tooluse_fake1", name: answer.tool.name } },
      }),
    );
    const args = JSON.stringify(answer.tool.args);
    for (const piece of [args.slice(0, 5), args.slice(5)])
      frames.push(
        eventFrame("contentBlockDelta", { contentBlockIndex, delta: { toolUse: { input: piece } } }),
      );
  } else {
    for (const text of deltas(answer.text))
      frames.push(eventFrame("contentBlockDelta", { contentBlockIndex, delta: { text } }));
  }
  frames.push(eventFrame("contentBlockStop", { contentBlockIndex }));
  frames.push(eventFrame("messageStop", stopOf(answer)));
  frames.push(eventFrame("metadata", { usage: usage(answer), metrics: { latencyMs: 12 } }));
  return frames;
}

/** Bedrock's bound on a `toolUseId`, 64 characters: a longer one is its ValidationException. */
export function tooLongToolUseId(request: {
  messages: Array<{
    content: Array<{ toolUse?: { toolUseId?: string }; toolResult?: { toolUseId?: string } }>;
  }>;
}): string | undefined {
  for (const [i, message] of request.messages.entries()) {
    for (const [j, block] of message.content.entries()) {
      const id = block.toolUse?.toolUseId ?? block.toolResult?.toolUseId;
      if (id === undefined || id.length <= 64) continue;
      const field = block.toolUse ? "toolUse" : "toolResult";
      return `1 validation error detected: Value '${id}' at 'messages.${i + 1}.member.content.${j + 1}.member.${field}.toolUseId' failed to satisfy constraint: Member must have length less than or equal to 64`;
    }
  }
  return undefined;
}

/**
 * Converse's rules for `document` blocks, refused as Bedrock words them: a name of letters, digits,
 * single spaces, hyphens, parentheses and brackets; each name once in the request, however far
 * apart; a text block beside a document in its message.
 */
export function invalidDocuments(request: {
  messages: Array<{ content: Array<{ text?: string; document?: { name?: string } }> }>;
}): string | undefined {
  const names = new Set<string>();
  for (const message of request.messages) {
    const documents = message.content.flatMap((block) => (block.document ? [block.document] : []));
    if (documents.length > 0 && !message.content.some((block) => block.text !== undefined))
      return "A text block must be included when using documents.";
    for (const { name = "" } of documents) {
      if (!/^[A-Za-z0-9()[\]-]+( [A-Za-z0-9()[\]-]+)*$/.test(name) || name.length > 200)
        return "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character.";
      if (names.has(name.toLowerCase()))
        return "Messages can't contain duplicate document names. Rename the document and retry your request.";
      names.add(name.toLowerCase());
    }
  }
  return undefined;
}

/**
 * Converse's refusal of a blank text block (empty or whitespace only) in a message or in `system`,
 * in Bedrock's words; a tool result's text may be blank.
 */
export function blankText(request: {
  messages: Array<{ content: Array<{ text?: string }> }>;
  system?: Array<{ text?: string }>;
}): string | undefined {
  const blank = (block: { text?: string }) => block.text !== undefined && block.text.trim() === "";
  for (const [i, message] of request.messages.entries())
    for (const [j, block] of message.content.entries())
      if (blank(block))
        return `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`;
  for (const [i, block] of (request.system ?? []).entries())
    if (blank(block))
      return `The text field in the SystemContentBlock object at system.${i} is blank. Add text to the text field, and try again.`;
  return undefined;
}

/**
 * Converse's refusal of an empty stop sequence (InferenceConfiguration.stopSequences: a list of
 * NonEmptyString), in the words AWS's validation writes a constraint's failure.
 */
export function emptyStopSequence(request: {
  inferenceConfig?: { stopSequences?: string[] };
}): string | undefined {
  const stops = request.inferenceConfig?.stopSequences;
  if (!stops?.includes("")) return undefined;
  return `1 validation error detected: Value '[${stops.join(", ")}]' at 'inferenceConfig.stopSequences' failed to satisfy constraint: Member must satisfy constraint: [Member must have length greater than or equal to 1]`;
}

/**
 * The models Converse serves without system prompts (its supported-features table: Amazon Titan's
 * text models, Cohere Command's; Mistral 7B Instruct and Mixtral 8x7B Instruct, as they answer),
 * which refuse a request with a `system` in Bedrock's words.
 */
export function systemRefused(model: string, request: { system?: unknown[] }): string | undefined {
  if (!request.system?.length) return undefined;
  if (
    !/amazon\.titan-(?:text|tg1)|cohere\.command-(?:light-)?text|mistral-7b-instruct|mixtral-8x7b-instruct/.test(
      model,
    )
  )
    return undefined;
  return "This model doesn't support system messages. Try again without a system message or use a model that supports system messages.";
}

/** Converse's refusal of tool calls or results in the conversation when the request declares no tools. */
export function undeclaredTools(request: {
  messages: Array<{ content: Array<{ toolUse?: unknown; toolResult?: unknown }> }>;
  toolConfig?: unknown;
}): string | undefined {
  if (request.toolConfig !== undefined) return undefined;
  const used = request.messages.some((message) =>
    message.content.some((block) => block.toolUse !== undefined || block.toolResult !== undefined),
  );
  return used
    ? "The toolConfig field must be defined when using toolUse and toolResult content blocks."
    : undefined;
}
