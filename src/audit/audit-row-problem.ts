import type { z } from "zod";
import { expectedWords, valueAt, zodWords } from "../core/zod-words.ts";

/**
 * How many missing fields, and how many other faults, a bad line's problem names; the rest are
 * counted. Enough to see what the line is (`{}`, another log's line, a row of a newer mindgw), in a
 * line a terminal shows: zod's own words for `{}` were twenty fields' worth, 1,500 characters.
 */
const NAMED_MISSING = 6;
const NAMED_WRONG = 3;

/** A JSON value's kind, as a problem says what a field got or what a line is. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return "text";
  if (typeof value === "boolean") return "true or false";
  return typeof value === "number" ? "a number" : "an object";
}

/** What is wrong with a present value: the type it should have and the one it has, else zodWords' bound or set. */
function faultWords(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code !== "invalid_type") return zodWords(issue.message);
  const expected = expectedWords(issue.expected);
  const got = kindOf(value);
  // A fraction where a count goes: "a number" would not say what is wrong with it.
  const saysMore = got !== expected && !(issue.expected === "int" && got === "a number");
  return saysMore ? `expected ${expected}, got ${got}` : `expected ${expected}`;
}

const fields = (n: number) => (n === 1 ? "1 more field" : `${n} more fields`);

/** The fields a line lacks, the first few named: `missing requestId, startedAt … and 14 more fields`. */
function missingWords(missing: readonly string[]): string {
  const named = missing.slice(0, NAMED_MISSING).join(", ");
  const rest = missing.length - NAMED_MISSING;
  return rest > 0 ? `missing ${named} and ${fields(rest)}` : `missing ${named}`;
}

/** The fields at fault, the first few said: `costUsd: expected a number, got text; … and 2 more fields wrong`. */
function wrongWords(wrong: readonly string[]): string {
  const said = wrong.slice(0, NAMED_WRONG).join("; ");
  const rest = wrong.length - NAMED_WRONG;
  return rest > 0 ? `${said}; and ${fields(rest)} wrong` : said;
}

/**
 * Why a line's JSON is no audit row (auditRecordSchema refused it), in the CLI's words: the fields
 * it lacks, then each field at fault with what it takes (`costUsd: expected a number, got text`,
 * `latencyMs: must be at least 0`), each list bounded, never the values (a row's bodies are any size).
 */
export function auditRowProblem(error: z.ZodError, json: unknown): string {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    const what = json === null ? "null" : Array.isArray(json) ? "a JSON array" : `a JSON ${typeof json}`;
    return `${what}, not an object: a row is one object a line`;
  }
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const issue of error.issues) {
    const field = issue.path.join(".");
    const value = valueAt(json, issue.path);
    if (value === undefined) missing.push(field);
    else wrong.push(field === "" ? faultWords(issue, value) : `${field}: ${faultWords(issue, value)}`);
  }
  const parts: string[] = [];
  if (missing.length > 0) parts.push(missingWords(missing));
  if (wrong.length > 0) parts.push(wrongWords(wrong));
  return parts.join("; ");
}
