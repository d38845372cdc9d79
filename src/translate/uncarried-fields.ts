import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { Dropped } from "./dropped.ts";

/** Null, `{}` and `[]`: a field set to one asks for nothing, in any API. */
export const isUnset = (value: unknown): boolean =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (isJsonObject(value) && Object.keys(value).length === 0);

/**
 * Names (or, under `reject`, refuses) each top-level field of `body` a translation does not carry
 * (`carries`, an allow-list), unless it asks for nothing beyond the API's default: unset, or its
 * value in `defaults`. A field outside the API the translator knows is named too: each one asks the
 * server for something. In the body's own order, so `reject` names the first.
 */
export function nameUncarriedFields(
  body: JsonObject,
  carries: readonly string[],
  defaults: JsonObject,
  dropped: Dropped,
): void {
  for (const [field, value] of Object.entries(body)) {
    if (!carries.includes(field) && !asksNothing(value, defaults[field])) dropped.add(field, field);
  }
}

/** A field's value asks for nothing beyond the API's default: unset, or that default (`fallback`). */
export function asksNothing(value: unknown, fallback: unknown): boolean {
  if (isUnset(value)) return true;
  return fallback !== undefined && JSON.stringify(fallback) === JSON.stringify(value);
}
