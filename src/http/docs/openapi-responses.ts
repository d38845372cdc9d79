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
  408: "The body did not arrive within `server.body_timeout`",
  413: "Body larger than `server.max_body`",
  426: "A WebSocket endpoint asked without `Upgrade: websocket`",
  429: "A rate limit or budget was reached, or this address has `server.max_client_requests` in flight (`Retry-After` says when to retry)",
  502: "The upstream failed",
  503: "Draining, at capacity (`server.max_concurrent_requests`), no route available, or the upstream overloaded (OpenAI's `server_is_overloaded`)",
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

/** A response header the document names: every one is a string, and none is always sent but `x-request-id`. */
const header = (description: string) => ({ description, schema: { type: "string" } });

export const requestId = {
  "x-request-id": header("The request's id (also in the audit log and the access log)"),
};

/** Statuses a retry may cure, whose answer says when (`Retry-After`), as the gateway's own does. */
const RETRYABLE = new Set([429, 503, 529]);

const retryAfter = {
  "retry-after": header(
    "Seconds to wait before retrying: on the gateway's own 429 (the limit's wait) and 503, and on an upstream's error relayed with its own",
  ),
};

const shouldRetry = {
  "x-should-retry": header(
    "`false` where the same request would be refused again (a revoked key, a forbidden model, a spent budget), `true` where a retry may pass (draining); the OpenAI and Anthropic SDKs obey it over the status",
  ),
};

/** A limit's three headers of one family (`requests`, `tokens`) under `names` (`x-ratelimit-limit-requests`…). */
const limitFamily = (names: readonly [string, string, string], family: string, reset: string) => ({
  [names[0]]: header(
    `The binding limit of ${family} per minute (the key's, its tenant's or its JWT subject's)`,
  ),
  [names[1]]: header(`The ${family} left of it this minute`),
  [names[2]]: header(reset),
});

/**
 * The caller's per-minute limits where any applies (src/auth/limit-headers.ts): OpenAI's names,
 * and to a Messages caller Anthropic's too (src/auth/anthropic-limit-headers.ts), which Claude
 * Code and the Anthropic SDK read. On a model call's answer and a limit's own 429.
 */
export function limitHeaders(dialect: Dialect) {
  const openAIReset = "How long until the limit is whole again (`12s`, `1m5s`, `20ms`)";
  const anthropicReset = "When the limit is whole again, an RFC 3339 time (`2025-08-21T12:40:59Z`)";
  return {
    ...limitFamily(
      ["x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"],
      "requests",
      openAIReset,
    ),
    ...limitFamily(
      ["x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"],
      "tokens",
      openAIReset,
    ),
    ...(dialect === "anthropic"
      ? {
          ...limitFamily(
            [
              "anthropic-ratelimit-requests-limit",
              "anthropic-ratelimit-requests-remaining",
              "anthropic-ratelimit-requests-reset",
            ],
            "requests",
            anthropicReset,
          ),
          ...limitFamily(
            [
              "anthropic-ratelimit-tokens-limit",
              "anthropic-ratelimit-tokens-remaining",
              "anthropic-ratelimit-tokens-reset",
            ],
            "tokens",
            anthropicReset,
          ),
        }
      : {}),
  };
}

/**
 * An error answer: its request id and whether to retry, always; when to retry at a status a retry
 * may cure (`retry`, or a relayed upstream's error, which keeps its own); `limits` where the
 * caller's limits are told (a model call's 429).
 */
const errorAnswer = (
  description: string,
  schema: object,
  extra: { retry?: boolean; limits?: Record<string, unknown> } = {},
) => ({
  description,
  headers: {
    ...requestId,
    ...(extra.retry ? retryAfter : {}),
    ...shouldRetry,
    ...(extra.limits ?? {}),
  },
  content: { "application/json": { schema } },
});

/** An error answer of the gateway's own at `status`, in `schema`. */
export const ownErrorAnswer = (status: number, schema: object) =>
  errorAnswer(ERRORS[status] ?? "Error", schema, { retry: RETRYABLE.has(status) });

/** Error answers in the caller's dialect. */
export function errorResponses(dialect: Dialect, statuses: readonly number[]) {
  const schema = ownError(dialect);
  return Object.fromEntries(statuses.map((status) => [String(status), ownErrorAnswer(status, schema)]));
}

/** Statuses an upstream's error never reaches a caller with: its refusal of the gateway's credentials is a 502. */
const NEVER_RELAYED = new Set([401, 403]);

/**
 * A model call's error answers: at 401 and 403 the gateway's own; at a status an upstream may
 * answer, the upstream's error relayed as sent, whose schema alone says it (OpenAI's
 * `OpenAIUpstreamError` accepts every body of the gateway's own `OpenAIError` too: a union of the
 * two would accept nothing more, and give a generated client a union type for one shape); any
 * other status (`default`: an upstream's 500, 422…) is an upstream's error relayed as it came.
 * `limited`: the call takes a slot of the caller's limits, so its limit's 429 tells them.
 */
export function modelErrorResponses(dialect: Dialect, statuses: readonly number[], limited = true) {
  const own = ownError(dialect);
  const relayed = relayedError(dialect);
  return {
    ...Object.fromEntries(
      statuses.map((status) => [
        String(status),
        NEVER_RELAYED.has(status)
          ? ownErrorAnswer(status, own)
          : errorAnswer(ERRORS[status] ?? "Error", relayed, {
              retry: true,
              ...(status === 429 && limited ? { limits: limitHeaders(dialect) } : {}),
            }),
      ]),
    ),
    default: errorAnswer(
      "Any other status: an upstream's error, relayed with its status and body as it came",
      relayed,
      { retry: true },
    ),
  };
}

/**
 * What every request that takes a credential may be refused with before its route is reached
 * (guard-steps.ts): its address's requests in flight at `server.max_client_requests` (429), the
 * gateway draining or at `server.max_concurrent_requests` (503).
 */
export const GUARD_REFUSALS = [429, 503] as const;

export const adminErrors = errorResponses("openai", [400, 401, 403, ...GUARD_REFUSALS]);

/** A JSON answer carrying the request id, with an example where one helps a reader. */
export const json = (description: string, schema: JsonSchema = { type: "object" }, example?: unknown) => ({
  description,
  headers: requestId,
  content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
});

/** A JSON answer of one of the document's answer schemas (answer-schemas.ts), with its example. */
export const answered = (description: string, name: AnswerName) =>
  json(description, ref(name), ANSWERS[name].example);

/** `answer` telling the caller's limits too: a model call's that takes a slot of them. */
export const withLimits = <Answer extends { headers: Record<string, unknown> }>(
  answer: Answer,
  dialect: Dialect,
): Answer => ({ ...answer, headers: { ...answer.headers, ...limitHeaders(dialect) } });
