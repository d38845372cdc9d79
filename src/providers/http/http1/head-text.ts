// Reading a response head's text in place (Latin-1, one character a byte): checks and names
// without a string made per header line (response-head.ts).

/** RFC 9110 token characters (`!#$%&'*+-.^_`|~`, digits, letters), by character code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
  TOKEN_CHARS[c.charCodeAt(0)] = 1;

const isDigit = (code: number) => code >= 48 && code <= 57;

/** `HTTP/1.0` or `HTTP/1.1`, a space, three digits, then a space or the line's end (at `end`). */
export function isStatusLine(text: string, end: number): boolean {
  if (end < 12 || !text.startsWith("HTTP/1.")) return false;
  const minor = text.charCodeAt(7);
  if ((minor !== 48 && minor !== 49) || text.charCodeAt(8) !== 32) return false;
  if (!isDigit(text.charCodeAt(9)) || !isDigit(text.charCodeAt(10)) || !isDigit(text.charCodeAt(11)))
    return false;
  return end === 12 || text.charCodeAt(12) === 32;
}

/** The three digits of a status line checked by `isStatusLine`. */
export const statusCode = (text: string): number =>
  (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48);

/** Whether `text[from, to)` is a non-empty token. */
export function isToken(text: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let at = from; at < to; at++) {
    const code = text.charCodeAt(at);
    if (code >= 128 || TOKEN_CHARS[code] === 0) return false;
  }
  return true;
}

/** Whether `text[from, to)` holds a CR, an LF or a NUL. */
export function hasControl(text: string, from: number, to: number): boolean {
  for (let at = from; at < to; at++) {
    const code = text.charCodeAt(at);
    if (code === 13 || code === 10 || code === 0) return true;
  }
  return false;
}

/** Whether the token `text[from, from + lower.length)` is `lower`, ignoring ASCII case. */
export function sameName(text: string, from: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    let code = text.charCodeAt(from + k);
    if (code >= 65 && code <= 90) code += 32;
    if (code !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** The value of a run of digits `text[from, to)`, or -1 when it is empty or holds anything else. */
export function digitsValue(text: string, from: number, to: number): number {
  if (to <= from) return -1;
  let value = 0;
  for (let at = from; at < to; at++) {
    const code = text.charCodeAt(at);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - 48);
  }
  return value;
}
