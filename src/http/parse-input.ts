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

/**
 * A URL's query string as a plain object. A parameter given twice (`?tenant=a&tenant=b`) is a 400
 * naming it: which one was meant is the caller's to say, never the last silently read (a revoke
 * by name acting in one of the two tenants). `lists`: the names read as lists (`ids`), left to the
 * caller to read with `getAll`.
 */
export function queryOf(request: Request, lists: readonly string[] = []): Record<string, string> {
  const params = new URL(request.url).searchParams;
  const query: Record<string, string> = {};
  for (const [name, value] of params) {
    if (Object.hasOwn(query, name) && !lists.includes(name)) {
      const times = params.getAll(name).length;
      throw badRequest(`${shown(name)}: given ${times} times; give it once`, name);
    }
    query[name] = value;
  }
  return query;
}
