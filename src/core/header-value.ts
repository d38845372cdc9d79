/**
 * HTTP whitespace a header value may end with: fetch and WebSocket strip it (a key file's CRLF).
 * Only its end: a key follows `Bearer `, so what comes before it is inside the value sent.
 */
const TRAILING = /[\t\n\r ]+$/;
/** What no header value may hold: a control character but tab, DEL, or one past Latin-1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSENDABLE = /[\u0000-\u0008\u000a-\u001f\u007f\u0100-\uffff]/;

/**
 * Why `value` cannot go in an HTTP header as `Authorization: Bearer <value>`, or undefined when it
 * can: fetch refuses it ("Header 'Authorization' has invalid value"), which a caller would report
 * as a gateway it cannot reach. A key read from a file of two lines (`"$(cat keys.txt)"`), or one
 * whose first line is blank, is the case; spaces or a tab before it are sent, and the gateway
 * trims them (auth/authenticate.ts).
 */
export function unsendableInHeader(value: string): string | undefined {
  return UNSENDABLE.test(value.replace(TRAILING, ""))
    ? "holds a line break, a control character or one no HTTP header carries: give the key alone"
    : undefined;
}

/**
 * `unsendableInHeader` of a key given by the flag `flagName` (`flag`: its value, undefined when not
 * given), else by the environment variable `variable`, said naming the one it came from, as every
 * command names it: a usage error's message, or undefined when the key can be sent.
 */
export function unsendableKey(
  key: string,
  flag: string | undefined,
  flagName: string,
  variable: string,
): string | undefined {
  const why = unsendableInHeader(key);
  return why === undefined ? undefined : `${flag === undefined ? variable : flagName}: ${why}`;
}
