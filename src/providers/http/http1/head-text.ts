// Reading a response head in place, in the bytes the socket delivered (Latin-1: one character a
// byte): checks and names without a string made per header line (response-head.ts).

/** RFC 9110 token characters (`!#$%&'*+-.^_`|~`, digits, letters), by character code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TOKEN_CHARS[c.charCodeAt(0)] = 1;

const isDigit = (code: number) => code >= 48 && code <= 57;
const HTTP_1 = "HTTP/1.";

/** `HTTP/1.0` or `HTTP/1.1`, a space, three digits, then a space or the line's end (at `end`). */
export function isStatusLine(head: Uint8Array, end: number): boolean {
  if (end < 12 || !sameText(head, 0, HTTP_1)) return false;
  const minor = head[7];
  if ((minor !== 48 && minor !== 49) || head[8] !== 32) return false;
  if (!isDigit(head[9] as number) || !isDigit(head[10] as number) || !isDigit(head[11] as number))
    return false;
  return end === 12 || head[12] === 32;
}

/** The three digits of a status line checked by `isStatusLine`. */
export const statusCode = (head: Uint8Array): number =>
  ((head[9] as number) - 48) * 100 + ((head[10] as number) - 48) * 10 + ((head[11] as number) - 48);

/** Where the CRLF that ends the line starting at `from` is, or `end` when the line runs to it. */
export function lineEnd(head: Uint8Array, from: number, end: number): number {
  for (let at = from; at < end - 1; at++) if (head[at] === 13 && head[at + 1] === 10) return at;
  return end;
}

/** Where `code` first is in `head[from, to)`, or -1. */
export function byteAt(head: Uint8Array, code: number, from: number, to: number): number {
  for (let at = from; at < to; at++) if (head[at] === code) return at;
  return -1;
}

/** Whether `head[from, to)` holds an LF not preceded by a CR (a line ended the old way). */
export function hasBareLf(head: Uint8Array, from: number, to: number): boolean {
  for (let at = from; at < to; at++) if (head[at] === 10 && (at === 0 || head[at - 1] !== 13)) return true;
  return false;
}

/** Whether `head[from, to)` is a non-empty token. */
export function isToken(head: Uint8Array, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let at = from; at < to; at++) {
    const code = head[at] as number;
    if (code >= 128 || TOKEN_CHARS[code] === 0) return false;
  }
  return true;
}

/** Whether `head[from, to)` holds a CR, an LF or a NUL. */
export function hasControl(head: Uint8Array, from: number, to: number): boolean {
  for (let at = from; at < to; at++) {
    const code = head[at];
    if (code === 13 || code === 10 || code === 0) return true;
  }
  return false;
}

/** Whether `head[from, from + text.length)` is `text` exactly. */
export function sameText(head: Uint8Array, from: number, text: string): boolean {
  if (from + text.length > head.length) return false;
  for (let k = 0; k < text.length; k++) if (head[from + k] !== text.charCodeAt(k)) return false;
  return true;
}

/** Whether the token `head[from, from + lower.length)` is `lower`, ignoring ASCII case. */
export function sameName(head: Uint8Array, from: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    let code = head[from + k] as number;
    if (code >= 65 && code <= 90) code += 32;
    if (code !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** The value of a run of digits `head[from, to)`, or -1 when it is empty or holds anything else. */
export function digitsValue(head: Uint8Array, from: number, to: number): number {
  if (to <= from) return -1;
  let value = 0;
  for (let at = from; at < to; at++) {
    const code = head[at] as number;
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}
