import type { z } from "zod";
import { badRequest, upstreamError } from "../core/gateway-error.ts";
import { acceptsUnchanged } from "./accepts-unchanged.ts";

/**
 * Which side a body came from decides the blame: a bad client request is a 400, a body an
 * upstream sent that we cannot read is a 502 (and retryable, another route may do better).
 */
export type BodySide = "request" | "upstream";

/**
 * `schema.safeParse(body)`, without zod's walk and copy where zod would read `body` unchanged
 * (accepts-unchanged.ts judges that, and answers for most bodies and events): the value itself is
 * then the reading.
 */
export function safeParseBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
): z.ZodSafeParseResult<z.infer<S>> {
  if (acceptsUnchanged(schema, body) === true) return { success: true, data: body as z.infer<S> };
  return schema.safeParse(body);
}

/** Validates `body` with `schema` (as `safeParseBody`), naming the first offending path in the error message. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, side: BodySide): z.infer<S> {
  const result = safeParseBody(schema, body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.length ? issue.path.map(String).join(".") : "body";
  const message = `${path}: ${issue?.message ?? "invalid"}`;
  if (side === "request") throw badRequest(message, path);
  throw upstreamError(`upstream sent an unreadable body (${message})`);
}

/**
 * Tool arguments arrive as a JSON string; Anthropic, Converse and Gemini want an object. Anything
 * else becomes `{}`: in a request, named as dropped first (chat-target.ts); in an answer, the
 * upstream's own words.
 */
export function parseToolArguments(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Parses one SSE data payload as JSON, or undefined when it is not JSON. */
export function parseEventData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
