import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";
import { INCLUDABLE } from "../translate/responses/responses-includes.ts";

/**
 * Refuses an `include` (or the SDK's `include[]`) of a stored response's read that OpenAI does not
 * know (`ResponseIncludable`), as its API does: a 400 naming `include`. Those it knows ask for
 * nothing more here: stored items are whole already.
 */
export function refuseUnknownIncludes(query: URLSearchParams): void {
  for (const value of [...query.getAll("include"), ...query.getAll("include[]")]) {
    if (!INCLUDABLE.includes(value))
      throw badRequest(
        `Invalid value: '${shown(value)}'. Supported values are: ${INCLUDABLE.map((v) => `'${v}'`).join(", ")}.`,
        "include",
      );
  }
}
