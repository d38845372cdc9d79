/** HTTP whitespace a header value may begin or end with: fetch strips it (a key file's CRLF). */
const EDGES = /^[\t\n\r ]+|[\t\n\r ]+$/g;
/** What no header value may hold: a control character but tab, DEL, or one past Latin-1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSENDABLE = /[\u0000-\u0008\u000a-\u001f\u007f\u0100-\uffff]/;

/**
 * Why `value` cannot go in an HTTP header (`Authorization: Bearer …`), or undefined when it can:
 * fetch refuses it ("Header 'Authorization' has invalid value"), which a caller would report as a
 * gateway it cannot reach. A key read from a file of two lines (`"$(cat keys.txt)"`) is the case.
 */
export function unsendableInHeader(value: string): string | undefined {
  return UNSENDABLE.test(value.replace(EDGES, ""))
    ? "holds a line break, a control character or one no HTTP header carries: give the key alone"
    : undefined;
}
