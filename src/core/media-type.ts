/** A media type's `type/subtype` as RFC 9110 spells its tokens. */
const TOKENS = /^[a-z0-9!#$%&'*+.^_`|~-]+\/[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * The media type of a `content-type` header, lowercased and without its parameters
 * (`text/html; charset=utf-8` → `text/html`); "" when there is none.
 */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
}

/**
 * A media type as words for one line the operator reads: itself when it is one (at most 100
 * characters), else what it is not. A header's text is never printed raw: it is the other side's.
 */
export function mediaTypeWords(type: string): string {
  if (type === "") return "no content type";
  return type.length <= 100 && TOKENS.test(type) ? type : "an unreadable content type";
}
