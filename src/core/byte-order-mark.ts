/** U+FEFF at a text's start: a UTF-8 byte-order mark, which `JSON.parse` refuses as a JSON text's first character. */
export const BYTE_ORDER_MARK = "\uFEFF";

/**
 * `text` without its leading byte-order mark, for a parse: an audit row keeps a request body as
 * it came, mark included (http/audited-request-body.ts), where the gateway's own parse skipped it.
 */
export const withoutByteOrderMark = (text: string): string =>
  text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
