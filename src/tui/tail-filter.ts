import { keyMatches } from "../audit/audit-query-key.ts";
import { isStatusClass, statusClassOf } from "../audit/audit-record.ts";
import { parseStatusFilter } from "../audit/status-filter.ts";
import { compileGlob } from "../auth/model-glob.ts";

/**
 * What `--model`, `--key`, `--status`, `--app` and the `/` prompt select. `model`, `key`, `route`
 * and `app` are case-insensitive globs (`*` matches anything); `key` matches a caller's name or its id (a
 * key's, or a JWT caller's `jwt:<tenant>:<name>`: `key:jwt:*` is every JWT caller), as the audit
 * API's `key` filter does: one spelt as an id matches ids alone (audit-query-key.ts); `status` is a
 * class (`4xx`) or a code.
 */
export interface TailFilter {
  model?: string;
  key?: string;
  status?: string;
  route?: string;
  /** The app (`apps:`) the request came through. */
  app?: string;
}

/** The request fields a filter looks at; `status` is null while the request is in flight. */
export interface FilterSubject {
  model: string | null;
  /** Absent from an older gateway's request events. */
  keyId?: string | null | undefined;
  keyName: string | null;
  route: string | null;
  status: number | null;
  /** Absent at the root's front door, and from an older gateway's events. */
  app?: string | null | undefined;
}

/** What the `/` prompt and `formatFilter` name, in this order (the prompt's hint lists them). */
export const FIELDS = ["model", "key", "status", "route", "app"] as const;
type Field = (typeof FIELDS)[number];
const isField = (name: string): name is Field => (FIELDS as readonly string[]).includes(name);

export type ParseResult = { ok: true; filter: TailFilter } | { ok: false; error: string };

/** Checks a status filter: `1xx`..`5xx` or a code 100..599, as the audit query reads it. */
export function validStatusFilter(value: string): boolean {
  return parseStatusFilter(value) !== undefined;
}

/** Parses `model:gpt-4o key:alice status:5xx route:worker:gpu1 app:billing`; empty text clears the filter. */
export function parseFilter(text: string): ParseResult {
  const filter: TailFilter = {};
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const colon = token.indexOf(":");
    const name = colon === -1 ? "" : token.slice(0, colon).toLowerCase();
    const value = colon === -1 ? "" : token.slice(colon + 1);
    if (!isField(name)) return { ok: false, error: `"${token}": use model:, key:, status:, route: or app:` };
    if (value === "") return { ok: false, error: `${name}: needs a value` };
    if (name === "status" && !validStatusFilter(value)) {
      return { ok: false, error: `status:${value}: use a class like 5xx or a code like 429` };
    }
    filter[name] = value;
  }
  return { ok: true, filter };
}

/** The prompt text that parses back to `filter`. */
export function formatFilter(filter: TailFilter): string {
  return FIELDS.flatMap((field) => (filter[field] === undefined ? [] : [`${field}:${filter[field]}`])).join(
    " ",
  );
}

export const isEmptyFilter = (filter: TailFilter): boolean => FIELDS.every((f) => filter[f] === undefined);

function globMatches(pattern: string, value: string | null): boolean {
  return value !== null && compileGlob(pattern.toLowerCase()).test(value.toLowerCase());
}

function statusMatches(wanted: string, status: number | null): boolean {
  if (status === null) return false;
  const named = wanted.toLowerCase();
  if (isStatusClass(named)) return statusClassOf(status) === named;
  return String(status) === wanted;
}

export function matchesFilter(filter: TailFilter, subject: FilterSubject): boolean {
  if (filter.model !== undefined && !globMatches(filter.model, subject.model)) return false;
  if (
    filter.key !== undefined &&
    !keyMatches(filter.key, subject.keyId ?? null, subject.keyName, globMatches)
  )
    return false;
  if (filter.route !== undefined && !globMatches(filter.route, subject.route)) return false;
  if (filter.app !== undefined && !globMatches(filter.app, subject.app ?? null)) return false;
  if (filter.status !== undefined && !statusMatches(filter.status, subject.status)) return false;
  return true;
}
