import { invalidValue } from "../../core/invalid-value.ts";

/** What `include` may ask for: OpenAI's `ResponseIncludable`. */
export const INCLUDABLE: readonly string[] = [
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
 * Refuses a `POST /v1/responses` `include` member OpenAI does not know, in its words: a 400 naming
 * the member (`include[1]`), code `invalid_value`. Read where the call is translated to chat, which
 * would otherwise answer as if it had been asked nothing; a route serving the Responses API is sent
 * `include` as it came, the upstream's to judge (a value OpenAI adds later, a server's own). Not a
 * list is left to the request's reading.
 */
export function refuseUnknownBodyIncludes(body: { readonly include?: unknown }): void {
  if (!Array.isArray(body.include)) return;
  for (const [i, value] of body.include.entries()) {
    if (typeof value === "string" && INCLUDABLE.includes(value)) continue;
    throw invalidValue(`include[${i}]`, String(value), INCLUDABLE);
  }
}
