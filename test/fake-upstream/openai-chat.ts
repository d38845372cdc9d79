import { z } from "zod";
import type { JsonObject } from "../../src/core/dialect.ts";
import { readOpenAIError } from "../../src/core/openai-errors.ts";
import { fakeReasoning, missingReasoning, THINKING_MODEL } from "./deepseek-thinking.ts";
import type { Behaviour } from "./fake-behaviour.ts";
import type { FakeRefusal, Prepared } from "./fake-call.ts";
import { paramOf, sseFrame } from "./fake-call.ts";
import { buildScript, chooseTool, contentText, type FakeScript, fakeId, nowSeconds } from "./fake-script.ts";
import { MISTRAL_MODEL, mistralId, mistralRefusal } from "./mistral-api.ts";
import { strictSchemaRefusal } from "./openai-strict-schema.ts";

const chatSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown().optional() })).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z
    .array(
      z.looseObject({
        type: z.string(),
        function: z
          .looseObject({
            name: z.string(),
            parameters: z.unknown().optional(),
            strict: z.unknown().optional(),
          })
          .optional(),
      }),
    )
    .nullish(),
  tool_choice: z.unknown().optional(),
  max_tokens: z.number().int().nullish(),
  max_completion_tokens: z.number().int().nullish(),
  user: z.string().nullish(),
  reasoning_effort: z.string().nullish(),
  response_format: z
    .looseObject({
      type: z.string(),
      json_schema: z
        .looseObject({ name: z.unknown().optional(), schema: z.unknown(), strict: z.unknown().optional() })
        .optional(),
    })
    .nullish(),
});

type ChatRequest = z.infer<typeof chatSchema>;

/** OpenAI's reasoning models (o-series, gpt-5.x), which take `max_completion_tokens` only. */
const REASONING_MODEL = /^(o\d|gpt-5)/;

/** What OpenAI answers a reasoning model's request that bounds it with `max_tokens`. */
const MAX_TOKENS_REFUSED = {
  status: 400,
  message:
    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
  param: "max_tokens",
  code: "unsupported_parameter",
};

/** The longest `user` OpenAI takes. */
const USER_MAX = 64;

/** What OpenAI answers a `user` longer than it takes (Claude Code's metadata.user_id copied as is). */
const userTooLong = (length: number): FakeRefusal => ({
  status: 400,
  message: `Invalid 'user': string too long. Expected a string with maximum length ${USER_MAX}, but got a string with length ${length} instead.`,
  param: "user",
  code: "string_above_max_length",
});

const FINISH = { stop: "stop", length: "length", tool: "tool_calls" } as const;

function usageOf(script: FakeScript) {
  return {
    prompt_tokens: script.inputTokens,
    completion_tokens: script.outputTokens,
    total_tokens: script.inputTokens + script.outputTokens,
  };
}

/**
 * The tool the request forces, with its schema: the one `tool_choice` names, or the only tool
 * declared under `tool_choice: "required"` (a model must call a tool, and there is one to call).
 */
function forcedTool(req: ChatRequest, lastUser: { content?: unknown } | undefined) {
  const choice = req.tool_choice as { function?: { name?: unknown } } | string | undefined;
  const only = req.tools?.length === 1 ? req.tools[0]?.function?.name : undefined;
  const name =
    typeof choice === "object" && choice !== null
      ? choice.function?.name
      : choice === "required"
        ? only
        : undefined;
  if (typeof name !== "string") return undefined;
  const schema = req.tools?.find((tool) => tool.function?.name === name)?.function?.parameters;
  return { name, schema, text: contentText(lastUser?.content) };
}

function scriptFor(req: ChatRequest, behaviour: Behaviour): FakeScript {
  const last = req.messages.at(-1);
  const afterToolResult = last?.role === "tool";
  const lastUser = afterToolResult ? last : req.messages.findLast((m) => m.role === "user");
  const declared = (req.tools ?? []).flatMap((tool) => (tool.function ? [tool.function.name] : []));
  return buildScript({
    lastUserText: contentText(lastUser?.content),
    allText: req.messages.map((m) => contentText(m.content)).join(" "),
    ...chooseTool(
      declared,
      req.tool_choice === "none",
      afterToolResult,
      behaviour,
      forcedTool(req, lastUser),
    ),
    ...(req.response_format?.type === "json_schema"
      ? { jsonSchema: req.response_format.json_schema?.schema }
      : {}),
    ...(behaviour.chunks !== undefined ? { chunks: behaviour.chunks } : {}),
    ...(behaviour.inputTokens !== undefined ? { inputTokens: behaviour.inputTokens } : {}),
    ...((req.max_completion_tokens ?? req.max_tokens) != null
      ? { maxTokens: (req.max_completion_tokens ?? req.max_tokens) as number }
      : {}),
  });
}

/** The tools the answer calls: the script's one, or (`interleave`) every declared tool. */
function calledTools(req: ChatRequest, script: FakeScript, behaviour: Behaviour): string[] {
  if (!script.tool) return [];
  if (!behaviour.interleave) return [script.tool.name];
  return (req.tools ?? []).flatMap((tool) => (tool.function ? [tool.function.name] : []));
}

/**
 * What the model reasons before it answers: a thinking model's (DeepSeek's, by its name), else
 * the `reasoning` knob's (a vLLM serving a reasoning model); undefined for any other.
 */
function reasoningOf(req: ChatRequest, behaviour: Behaviour): string | undefined {
  return THINKING_MODEL.test(req.model) ? fakeReasoning(req.messages) : behaviour.reasoning;
}

function completion(req: ChatRequest, script: FakeScript, called: string[], reasoning?: string) {
  const thought = reasoning !== undefined ? { reasoning_content: reasoning } : {};
  const answer = script.tool
    ? {
        role: "assistant",
        content: null,
        refusal: null,
        annotations: [],
        tool_calls: called.map((name) => ({
          id: callId(req),
          type: "function",
          function: { name, arguments: script.tool?.arguments ?? "" },
        })),
      }
    : { role: "assistant", content: script.pieces.join(""), refusal: null, annotations: [] };
  const message = { ...answer, ...thought };
  return {
    id: fakeId("chatcmpl-"),
    object: "chat.completion",
    created: nowSeconds(),
    model: req.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: FINISH[script.finish] }],
    usage: usageOf(script),
    service_tier: "default",
    system_fingerprint: "fp_fake",
  };
}

function chunks(req: ChatRequest, script: FakeScript, called: string[], reasoning?: string): string[] {
  const includeUsage = req.stream_options?.include_usage === true;
  const base = {
    id: fakeId("chatcmpl-"),
    object: "chat.completion.chunk",
    created: nowSeconds(),
    model: req.model,
  };
  const tail = {
    service_tier: "default",
    system_fingerprint: "fp_fake",
    ...(includeUsage ? { usage: null } : {}),
  };
  const frame = (delta: object, finish: string | null = null) =>
    sseFrame({ ...base, ...tail, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const out: string[] = [];
  if (reasoning) {
    out.push(frame({ role: "assistant", content: null, reasoning_content: "" }));
    for (const piece of reasoning.split(/(?=\s)/)) out.push(frame({ reasoning_content: piece }));
  }
  if (script.tool) {
    const calls = called.map((name, index) => ({
      index,
      id: callId(req),
      type: "function",
      function: { name, arguments: "" },
    }));
    out.push(frame({ role: "assistant", content: null, tool_calls: calls, refusal: null }));
    // Each piece once for every call, in turn: with one call, its pieces in order.
    for (const piece of script.tool.argPieces) {
      for (const index of called.keys())
        out.push(frame({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  } else {
    out.push(frame({ role: "assistant", content: "", refusal: null }));
    for (const piece of script.pieces) out.push(frame({ content: piece }));
  }
  // Mistral's stream says its usage in its finish chunk, unasked (it refuses `stream_options`).
  if (MISTRAL_MODEL.test(req.model))
    out.push(
      sseFrame({
        ...base,
        ...tail,
        choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: FINISH[script.finish] }],
        usage: usageOf(script),
      }),
    );
  else out.push(frame({}, FINISH[script.finish]));
  if (includeUsage) out.push(sseFrame({ ...base, ...tail, choices: [], usage: usageOf(script) }));
  out.push(sseFrame("[DONE]"));
  return out;
}

/** A new call's id: Mistral's 9 letters and digits for its models, OpenAI's `call_…` for any other. */
const callId = (req: ChatRequest) => (MISTRAL_MODEL.test(req.model) ? mistralId() : fakeId("call_"));

/** Mistral's refusal of a request to one of its models (mistral-api.ts), as the fake says refusals. */
function mistralRefused(body: unknown): FakeRefusal | undefined {
  const model = (body as { model?: unknown } | null)?.model;
  if (typeof model !== "string" || !MISTRAL_MODEL.test(model)) return undefined;
  const refused = mistralRefusal(body as JsonObject);
  if (!refused) return undefined;
  return { status: refused.status, message: readOpenAIError(refused.body)?.message ?? "refused" };
}

/** `POST /v1/chat/completions` */
export function prepareChat(body: unknown): Prepared {
  const mistral = mistralRefused(body);
  if (mistral) return mistral;
  const parsed = chatSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = paramOf(issue?.path ?? []);
    return { status: 400, message: `Invalid value for '${param}': ${issue?.message ?? "invalid"}`, param };
  }
  const req = parsed.data;
  if (req.max_tokens != null && REASONING_MODEL.test(req.model)) return MAX_TOKENS_REFUSED;
  if (req.user != null && req.user.length > USER_MAX) return userTooLong(req.user.length);
  const strict = strictSchemaRefusal(req);
  if (strict) return strict;
  const unreasoned = THINKING_MODEL.test(req.model) ? missingReasoning(req.messages) : undefined;
  if (unreasoned) return unreasoned;
  return {
    markerText: req.messages.map((m) => contentText(m.content)).join(" "),
    stream: req.stream === true,
    effort: req.reasoning_effort != null,
    render: (behaviour) => {
      const script = scriptFor(req, behaviour);
      const called = calledTools(req, script, behaviour);
      // The answer under the name the upstream gives it.
      const named = behaviour.answerModel ? { ...req, model: behaviour.answerModel } : req;
      return req.stream === true && !behaviour.ignoreStream
        ? { frames: chunks(named, script, called, reasoningOf(req, behaviour)) }
        : { json: completion(named, script, called, reasoningOf(req, behaviour)) };
    },
  };
}
