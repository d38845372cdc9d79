import { invalidValue } from "../core/invalid-value.ts";
import { INCLUDABLE } from "../translate/responses/responses-includes.ts";

/**
 * Refuses an `include` (or the SDK's `include[]`) of a stored response's read that OpenAI does not
 * know (`ResponseIncludable`), as its API does: its 400 `invalid_value` naming `include`. Those it knows ask for
 * nothing more here: stored items are whole already.
 */
export function refuseUnknownIncludes(query: URLSearchParams): void {
  for (const value of [...query.getAll("include"), ...query.getAll("include[]")]) {
    if (!INCLUDABLE.includes(value)) throw invalidValue("include", value, INCLUDABLE);
  }
}
