import type { JsonObject, Operation } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { reportsUsage } from "../translate/stream-estimate.ts";
import { estimatedWholeUsage } from "../translate/whole-estimate.ts";

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
 * server that leaves it out), an estimate in their place (translate/whole-estimate.ts) — never 0,
 * which tokens-per-minute limits and budgets would not see. An answer translated for its caller
 * comes with it already (attempt-answer.ts `withUsageTold`: the estimate its caller was told), and
 * stands here as reported.
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
  return { ...usage, ...estimatedWholeUsage(prompt, answer) };
}

function parsed(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return undefined;
  }
}
