// C0 and C1 control characters and DEL: what lets a name or a header rewrite a terminal
// (escape sequences) or forge a log line (CR, LF).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** The same but tab, LF and CR: text whose lines are its own (a quoted CSV field). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
/**
 * `CONTROL`'s class for a pattern in a document (JSON Schema's `pattern`): what a name an operator
 * gives may not hold (auth/key-admin-schemas.ts).
 */
export const CONTROL_CLASS = "\\u0000-\\u001f\\u007f-\\u009f";
/** What JSON.stringify (and the YAML printer) write raw: DEL and the C1 controls. */
const UNESCAPED_BY_JSON = /[\u007f-\u009f]/g;

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

/** Whether `text` holds a control character (C0, DEL or C1), tab and line breaks included. */
export function holdsControl(text: string): boolean {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text);
}

/**
 * Text whose line breaks and tabs are its own (a CSV cell: its quoting carries them), every other
 * control character shown as its escape (`\u001b`), as `printable` shows it.
 */
export function printableLines(text: string): string {
  CONTROL_BUT_LINES.lastIndex = 0;
  return CONTROL_BUT_LINES.test(text) ? text.replace(CONTROL_BUT_LINES, escaped) : text;
}

/**
 * DEL and the C1 controls (U+0080–U+009F; U+009B is CSI, an escape sequence's start, to a
 * terminal) written as `\u009b`: what JSON.stringify and the YAML printer leave raw in a string
 * they quote, and what both read back as the same character there.
 */
export function escapedC1(quotedText: string): string {
  UNESCAPED_BY_JSON.lastIndex = 0;
  return UNESCAPED_BY_JSON.test(quotedText) ? quotedText.replace(UNESCAPED_BY_JSON, escaped) : quotedText;
}

/**
 * `JSON.stringify` with no control character left in its text: JSON escapes U+0000–U+001F, but
 * writes DEL and C1 as they are (`escapedC1`). The line parses back to the same value.
 */
export function printableJson(value: unknown): string {
  return escapedC1(JSON.stringify(value));
}
