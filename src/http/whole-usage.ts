import { isJsonObject, type JsonObject, type Operation } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { estimatedInputTokens, estimatedOutputTokens } from "../translate/prompt-estimate.ts";
import { reportsUsage } from "../translate/stream-estimate.ts";

const decoder = new TextDecoder();

/**
 * What a whole (non-stream) answer used (`wholeAnswerUsage`). A count (`count_tokens`) is never
 * billed: its answer is no model's.
 */
export function wholeUsage(dispatched: Dispatched, prompt: JsonObject, operation: Operation): Usage {
  return operation === "count_tokens" ? dispatched.usage() : wholeAnswerUsage(dispatched, prompt);
}

/**
 * What a model's whole answer used (a stream call's too, when its upstream answered it whole): the
 * upstream's figures; where it reported none (an embeddings server that sends no `usage`, a chat
 * server that leaves it out), an estimate in their place — the prompt as `estimatedInputTokens`
 * counts it, the answer's text at four characters a token — never 0, which tokens-per-minute
 * limits and budgets would not see.
 */
export function wholeAnswerUsage(dispatched: Dispatched, prompt: JsonObject): Usage {
  const usage = dispatched.usage();
  if (reportsUsage(usage)) return usage;
  const reply = dispatched.reply;
  const answer =
    reply.kind === "json"
      ? reply.body
      : reply.kind === "bytes"
        ? (reply.parsed ?? parsed(reply.body))
        : undefined;
  return {
    ...usage,
    inputTokens: estimatedInputTokens(prompt),
    outputTokens: estimatedOutputTokens(answerChars(answer)),
  };
}

function parsed(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}

/** Where an answer's text is: chat and completions' choices, Messages' content, Responses' output. */
const ANSWER_FIELDS = ["choices", "content", "output"] as const;
/** Fields under those that say what the text is, not what it says. */
const NOT_TEXT = new Set([
  "id",
  "object",
  "type",
  "role",
  "index",
  "finish_reason",
  "stop_reason",
  "status",
  "call_id",
  "logprobs",
]);

/** The characters of an answer's text: every string under its answer fields, labels left out. */
function answerChars(answer: unknown): number {
  if (!isJsonObject(answer)) return 0;
  let chars = 0;
  for (const field of ANSWER_FIELDS) chars += textChars(answer[field]);
  return chars;
}

function textChars(value: unknown): number {
  if (typeof value === "string") return value.length;
  let chars = 0;
  if (Array.isArray(value)) for (const item of value) chars += textChars(item);
  else if (isJsonObject(value))
    for (const [key, item] of Object.entries(value)) if (!NOT_TEXT.has(key)) chars += textChars(item);
  return chars;
}
