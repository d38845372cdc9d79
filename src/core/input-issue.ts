import type { z } from "zod";

/** What a name no schema reads is told: a typo (`?tennant=`) must not pass as if unsaid. */
export const UNKNOWN_NAME = "unknown: nothing of that name is read here";

/**
 * Where an input's first problem lies and what it is. A name the schema does not read (a query's
 * `?tennant=`, a body's unknown field) is the problem's place, as a bad value's field is, so the
 * 400 names it (`param`) instead of the input as a whole.
 */
export function inputIssue(issue: z.core.$ZodIssue | undefined): { path: PropertyKey[]; message: string } {
  if (issue?.code === "unrecognized_keys" && issue.keys[0] !== undefined)
    return { path: [...issue.path, issue.keys[0]], message: UNKNOWN_NAME };
  return { path: issue?.path ?? [], message: issue?.message ?? "invalid" };
}
