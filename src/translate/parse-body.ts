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

/** A zod issue's path as the error names it; by default dotted (`messages.0.content`). */
export type ParamName = (path: readonly PropertyKey[]) => string;
const dotted: ParamName = (path) => path.map(String).join(".");

/**
 * Validates `body` with `schema` (as `safeParseBody`), naming the first offending path in the
 * error message and its `param` (as `name` spells it: the Responses API says `input[0].role`).
 */
export function parseBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
  side: BodySide,
  name: ParamName = dotted,
): z.infer<S> {
  const result = safeParseBody(schema, body);
  if (result.success) return result.data;
  const issue = innermost(result.error.issues[0]);
  const path = issue?.path.length ? name(issue.path) : "body";
  const message = `${path}: ${issue?.message ?? "invalid"}`;
  if (side === "request") throw badRequest(message, path);
  throw upstreamError(`upstream sent an unreadable body (${message})`);
}

/**
 * For a value that matched no branch of a union (`input`: a string, or a list of items), the
 * issue of the branch that got furthest, its path from the body's root (`input.0.role`, not `input`).
 */
function innermost(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== "invalid_union" || issue.errors.length === 0) return issue;
  let deepest: z.core.$ZodIssue | undefined;
  for (const [first] of issue.errors) {
    if (first && first.path.length > (deepest?.path.length ?? -1)) deepest = first;
  }
  if (!deepest) return issue;
  return innermost({ ...deepest, path: [...issue.path, ...deepest.path] });
}

/**
 * Tool arguments arrive as a JSON string; Anthropic, Converse and Gemini want an object. Anything
 * else becomes `{}`: in a request, named as dropped first (chat-target.ts); in an answer, the
 * upstream's own words.
 */
export const parseToolArguments = (text: string | null | undefined): Record<string, unknown> =>
  (text ? jsonObjectOf(text) : undefined) ?? {};

/** `text` as the JSON object it holds, or undefined when it holds none (not JSON, or another value). */
export function jsonObjectOf(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
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
