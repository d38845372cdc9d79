import type { z } from "zod";
import { formatPath } from "../config/config-error.ts";
import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";
import { inputIssue } from "../core/input-issue.ts";

/** Validates untrusted input with a zod schema; the first problem becomes a 400 naming its field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = inputIssue(result.error.issues[0]);
  const path = formatPath(issue.path);
  throw badRequest(`${shown(path)}: ${issue.message}`, path === "(root)" ? undefined : path);
}

/** A URL's query string as a plain object (last value wins). */
export const queryOf = (request: Request): Record<string, string> =>
  Object.fromEntries(new URL(request.url).searchParams);
