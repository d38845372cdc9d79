import { textWithout } from "./credentials.ts";
import { cutWords } from "./cut-words.ts";
import { printable } from "./printable.ts";

/**
 * A gateway's (or a proxy's) words a command quotes in its own error: one printable line (a
 * terminal's escape sequences shown, not run), bounded, without the admin key it was called with,
 * which a proxy's page may echo.
 */
export const gatewayWords = (words: string, adminKey: string): string =>
  cutWords(printable(textWithout(words, adminKey)));
