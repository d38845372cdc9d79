import { shown } from "../core/cut-words.ts";
import { badRequest } from "../core/gateway-error.ts";
import { invalidValue } from "../core/invalid-value.ts";

/** What `include` may ask for: OpenAI's `ResponseIncludable`. Stored items are whole already. */
const INCLUDABLE = [
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
  "reasoning.encrypted_content",
  "message.output_text.logprobs",
];

/**
 * Refuses an `include` (or the SDK's `include[]`) of a stored response's read that OpenAI does not
 * know, as its API does: a 400 naming `include`. Those it knows ask for nothing more here.
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

/**
 * Refuses a `POST /v1/responses` `include` member OpenAI does not know, in its words: a 400 naming
 * the member (`include[1]`), code `invalid_value`, on every route; a translated one would
 * otherwise answer as if it had been asked nothing. Not a list is left to the request's reading.
 */
export function refuseUnknownBodyIncludes(body: { readonly include?: unknown }): void {
  if (!Array.isArray(body.include)) return;
  for (const [i, value] of body.include.entries()) {
    if (typeof value === "string" && INCLUDABLE.includes(value)) continue;
    throw invalidValue(`include[${i}]`, String(value), INCLUDABLE);
  }
}
