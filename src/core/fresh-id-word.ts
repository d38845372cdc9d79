/**
 * What a gateway-made request id's 32 hex digits follow (http/request-id.ts `freshRequestId`): the
 * id is `req_` and its trace's id, so tracing reads and writes it from the trace id alone. Here, not
 * in http/, so the trace export thread's bundle takes neither request-id.ts's buffers nor http/.
 */
export const FRESH_ID_PREFIX = "req_";

/**
 * The 32-bit word the 8 hex digits of `text` from `at` spell (most significant first): read from
 * its characters, with no substring made. Only for digits known to be hex (a fresh id's, or a
 * `traceparent` id the W3C form has checked): anything else reads as some word, not as an error.
 */
export function hexDigitsWord(text: string, at: number): number {
  let word = 0;
  for (const end = at + 8; at < end; at++) {
    const c = text.charCodeAt(at);
    // "0"–"9" are 48–57, "a"–"f" 97–102 ("A"–"F" 65–70): the low four bits are the digit's value,
    // plus 9 for a letter (bit 6 set). No branch: the digits are random, so a `c < 58` test was
    // mispredicted on about a third of them (4 words: ~110 → ~33 ns hot).
    word = (word << 4) | ((c & 15) + 9 * (c >> 6));
  }
  return word >>> 0;
}

/**
 * Word `w` (0–3, most significant first) of the 128 bits a fresh id's 32 hex digits spell. Only
 * for an id `freshRequestId` made.
 */
export const freshIdWord = (id: string, w: number): number =>
  hexDigitsWord(id, FRESH_ID_PREFIX.length + w * 8);
