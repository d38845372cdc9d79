import type { z } from "zod";
import { badRequest } from "../core/gateway-error.ts";
import { inputIssue } from "../core/input-issue.ts";
import { expiryRefusal } from "./key-admin-schemas.ts";

/** A key operation's `unknown` input as its schema reads it; else a 400 naming the first bad field. */
export function parseKeyInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // A field no input reads (a misspelt `tmp`) is named, as a bad value's field is.
  const issue = inputIssue(result.error.issues[0]);
  const path = issue.path.join(".");
  throw badRequest(`${path ? `${path}: ` : ""}${issue.message}`, path || undefined);
}

/** The fields, once an `expires_at` among them stands at `now` (not past, not past a lifetime); else a 400 naming it. */
export function expiryAhead<T extends { expires_at?: string | null }>(fields: T, now: number): T {
  const refusal = fields.expires_at ? expiryRefusal(fields.expires_at, now) : undefined;
  if (refusal) throw badRequest(`expires_at: ${refusal}`, "expires_at");
  return fields;
}
