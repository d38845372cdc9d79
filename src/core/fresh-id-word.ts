/**
 * What a gateway-made request id's 32 hex digits follow (http/request-id.ts `freshRequestId`): the
 * id is `req_` and its trace's id, so tracing reads and writes it from the trace id alone. Here, not
 * in http/, so the trace export thread's bundle takes neither request-id.ts's buffers nor http/.
 */
export const FRESH_ID_PREFIX = "req_";

/**
 * Word `w` (0–3, most significant first) of the 128 bits a fresh id's 32 hex digits spell: read
 * from its characters, with no substring made. Only for an id `freshRequestId` made.
 */
export function freshIdWord(id: string, w: number): number {
  let word = 0;
  for (let at = FRESH_ID_PREFIX.length + w * 8, end = at + 8; at < end; at++) {
    const c = id.charCodeAt(at);
    // "0"–"9" are 48–57, "a"–"f" 97–102 (a fresh id's digits are lowercase): the low four bits
    // are the digit's value, plus 9 for a letter (bit 6 set). No branch: the digits are random,
    // so a `c < 58` test was mispredicted on about a third of them (4 words: ~110 → ~33 ns hot).
    word = (word << 4) | ((c & 15) + 9 * (c >> 6));
  }
  return word >>> 0;
}
