import type { Dialect } from "../../core/dialect.ts";
import { ANSWERS, type AnswerName } from "./answer-schemas.ts";
import type { JsonSchema } from "./json-schema.ts";

// The pieces every part of the OpenAPI document uses: schema references and error answers.

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** What each error status means, as every operation's answers describe it. */
export const ERRORS: Record<number, string> = {
  400: "Malformed or invalid request",
  401: "Missing or invalid credential",
  403: "The credential may not use this model or API",
  404: "No such model or route",
  413: "Body larger than `server.max_body`",
  426: "A WebSocket endpoint asked without `Upgrade: websocket`",
  429: "A rate limit or budget was reached (`Retry-After` says when to retry)",
  502: "The upstream failed",
  503: "Draining, no route available, or the upstream overloaded (OpenAI's `server_is_overloaded`)",
  504: "The upstream timed out",
  529: "The upstream overloaded (Anthropic's `overloaded_error`)",
};

/** The gateway's own error body in `dialect`. */
const ownError = (dialect: Dialect) => ref(dialect === "anthropic" ? "AnthropicError" : "OpenAIError");

/**
 * An upstream's error body as a same-dialect caller gets it, as sent (docs/CLIENTS.md, "Errors"):
 * what the gateway relays by (core/openai-errors.ts `openAIErrorBody`: OpenAI's `error` object,
 * none of its fields promised; Anthropic's always has its `type` and `message`).
 */
const relayedError = (dialect: Dialect) =>
  ref(dialect === "anthropic" ? "AnthropicError" : "OpenAIUpstreamError");

const errorAnswer = (description: string, schema: object) => ({
  description,
  content: { "application/json": { schema } },
});

/** Error answers in the caller's dialect. */
export function errorResponses(dialect: Dialect, statuses: readonly number[]) {
  const schema = ownError(dialect);
  return Object.fromEntries(
    statuses.map((status) => [String(status), errorAnswer(ERRORS[status] ?? "Error", schema)]),
  );
}

/** Statuses an upstream's error never reaches a caller with: its refusal of the gateway's credentials is a 502. */
const NEVER_RELAYED = new Set([401, 403]);

/**
 * A model call's error answers: at 401 and 403 the gateway's own; at a status an upstream may
 * answer, the upstream's error relayed as sent, whose schema alone says it (OpenAI's
 * `OpenAIUpstreamError` accepts every body of the gateway's own `OpenAIError` too: a union of the
 * two would accept nothing more, and give a generated client a union type for one shape); any
 * other status (`default`: an upstream's 500, 422…) is an upstream's error relayed as it came.
 */
export function modelErrorResponses(dialect: Dialect, statuses: readonly number[]) {
  const own = ownError(dialect);
  const relayed = relayedError(dialect);
  return {
    ...Object.fromEntries(
      statuses.map((status) => [
        String(status),
        errorAnswer(ERRORS[status] ?? "Error", NEVER_RELAYED.has(status) ? own : relayed),
      ]),
    ),
    default: errorAnswer(
      "Any other status: an upstream's error, relayed with its status and body as it came",
      relayed,
    ),
  };
}

export const requestId = {
  "x-request-id": {
    description: "The request's id (also in the audit log and the access log)",
    schema: { type: "string" },
  },
};

export const adminErrors = errorResponses("openai", [400, 401, 403]);

/** A JSON answer carrying the request id, with an example where one helps a reader. */
export const json = (description: string, schema: JsonSchema = { type: "object" }, example?: unknown) => ({
  description,
  headers: requestId,
  content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
});

/** A JSON answer of one of the document's answer schemas (answer-schemas.ts), with its example. */
export const answered = (description: string, name: AnswerName) =>
  json(description, ref(name), ANSWERS[name].example);
