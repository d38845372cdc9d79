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
  503: "Draining, or no route available",
  504: "The upstream timed out",
};

/** Error answers in the caller's dialect. */
export function errorResponses(dialect: Dialect, statuses: readonly number[]) {
  const schema = ref(dialect === "anthropic" ? "AnthropicError" : "OpenAIError");
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: ERRORS[status] ?? "Error", content: { "application/json": { schema } } },
    ]),
  );
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
