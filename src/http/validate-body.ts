import type { JsonObject, Operation } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";

/** The field each operation cannot do without, beyond `model`. */
const REQUIRED: Record<Operation, { field: string; check: (value: unknown) => boolean; expect: string }[]> = {
  chat: [{ field: "messages", check: Array.isArray, expect: "an array of messages" }],
  completions: [{ field: "prompt", check: (v) => v !== undefined && v !== null, expect: "a prompt" }],
  embeddings: [{ field: "input", check: (v) => v !== undefined && v !== null, expect: "an input" }],
  responses: [],
  messages: [
    { field: "messages", check: Array.isArray, expect: "an array of messages" },
    {
      field: "max_tokens",
      check: (v) => Number.isInteger(v) && (v as number) > 0,
      expect: "a positive integer",
    },
  ],
  count_tokens: [{ field: "messages", check: Array.isArray, expect: "an array of messages" }],
};

/**
 * Checks only what the gateway itself relies on (model, stream, the operation's key field);
 * everything else is the upstream's to judge, so unknown fields pass through.
 */
export function validateBody(operation: Operation, body: JsonObject): string {
  const model = body.model;
  if (typeof model !== "string" || model.length === 0) {
    throw badRequest("you must provide a model parameter", "model", "missing_model");
  }
  if (body.stream !== undefined && typeof body.stream !== "boolean") {
    throw badRequest("stream must be a boolean", "stream");
  }
  for (const rule of REQUIRED[operation]) {
    if (!rule.check(body[rule.field]))
      throw badRequest(`${rule.field} is required: ${rule.expect}`, rule.field);
  }
  return model;
}
