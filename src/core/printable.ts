// C0 and C1 control characters and DEL: what lets a name or a header rewrite a terminal
// (escape sequences) or forge a log line (CR, LF).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const escaped = (char: string): string => {
  switch (char) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    default:
      return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  }
};

/**
 * Text made safe for one log line or one terminal cell: every control character is shown as
 * its escape (`\n`, `\u001b`), so what a client, a worker or a key name carries is visible
 * but never acted on.
 */
export function printable(text: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text) ? text.replace(CONTROL, escaped) : text;
}
