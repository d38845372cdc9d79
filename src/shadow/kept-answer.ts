const encoder = new TextEncoder();

/**
 * What a pair keeps of an answer's text under `shadow.max_answer`, a size in bytes (`16KB`): the
 * text up to that many bytes of UTF-8, cut on a character boundary and marked as cut, as the audit
 * log marks a stream it cut; null when the bound is 0 (nothing kept, as when answers are not kept).
 */
export function keptAnswer(text: string, maxBytes: number): string | null {
  if (maxBytes <= 0) return null;
  // No UTF-16 unit takes more than 3 bytes of UTF-8 (a surrogate pair, two units, takes 4).
  if (text.length * 3 <= maxBytes) return text;
  // Only whole characters are written: `read` ends on a character's boundary.
  const { read } = encoder.encodeInto(text, new Uint8Array(maxBytes));
  return read === text.length ? text : `${text.slice(0, read)}\n[cut at ${maxBytes} bytes]`;
}
