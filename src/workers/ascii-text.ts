/**
 * Short printable-ASCII texts in a binary frame (a content type, a request id, a path): a
 * 1-byte length, then one byte a character. Texts outside that (longer, other characters) are
 * not framed so: the frame's JSON form carries them instead.
 */
export const MAX_ASCII_TEXT = 255;

/**
 * The runtime's native Latin-1 slice (`Buffer.prototype.latin1Slice`), called on a plain
 * Uint8Array: for the printable ASCII read here it is the text, at about a third of a
 * `TextDecoder`'s cost for such short texts (and no subarray to make).
 */
const latin1Slice = (
  Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }
).latin1Slice;

/** Bytes `text` takes framed; -1 if it cannot be (too long, or not printable ASCII). */
export function asciiSize(text: string): number {
  if (text.length > MAX_ASCII_TEXT) return -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7e || code < 0x20) return -1;
  }
  return 1 + text.length;
}

/** Writes a text `asciiSize` accepted at `at`; returns where the next field starts. */
export function writeAscii(out: Uint8Array, at: number, text: string): number {
  out[at] = text.length;
  for (let i = 0; i < text.length; i++) out[at + 1 + i] = text.charCodeAt(i);
  return at + 1 + text.length;
}

/** The text at `at` and where the next field starts; undefined if it overruns `end` or is not printable ASCII. */
export function readAscii(bytes: Uint8Array, at: number, end: number): [string, number] | undefined {
  if (at >= end) return undefined;
  const length = bytes[at] as number;
  const next = at + 1 + length;
  if (next > end) return undefined;
  for (let i = at + 1; i < next; i++) {
    const code = bytes[i] as number;
    if (code > 0x7e || code < 0x20) return undefined;
  }
  // Natively: far cheaper than building the string a character at a time.
  return [length === 0 ? "" : latin1Slice.call(bytes, at + 1, next), next];
}
