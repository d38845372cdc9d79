import { GatewayError } from "../core/gateway-error.ts";
import { zodWords } from "../core/zod-words.ts";
import { GatewayCallError } from "./admin-fetch.ts";
import { UsageError } from "./exit-code.ts";

/**
 * A command's flags by the input field each one fills, where the API spells it otherwise than
 * `--<field>` (`budget_usd` is `--budget`); every other field is `--<field>` (`rpm` is `--rpm`).
 */
export type FlagOf = Readonly<Record<string, string>>;

/** How a command says its input's refusals: `flagOf` as above; `reword`, the refusal's own words after the field. */
export interface FlagWords {
  flagOf?: FlagOf;
  reword?: (refusal: string) => string;
}

/** What the gateway's refusal of a call starts with (admin-fetch.ts). */
const REFUSED = "gateway refused: ";

/**
 * A refusal of the input (`budget_usd: expected a number`, `give expires_at or expires_in, not
 * both`) in the words of the command line: the field it starts with is the flag the user typed
 * (`--budget: expected a number`), and a field of `fields` named further on is too. `fields`: the
 * command's input fields; `words`, how its flags and refusals are spelt (`FlagWords`). Only a
 * message that starts with one of them is a refusal of the input: any other is left as it was (a
 * key's name quoted in "no key with id or name …" is no field). A bound or a closed set is said as
 * every flag says it (core/zod-words.ts); an entry of a list (`models.1`) by its place in the flag.
 */
export function inFlagWords(message: string, fields: readonly string[], words: FlagWords = {}): string {
  const { flagOf = {}, reword = (rest: string) => rest } = words;
  const flag = (field: string) => flagOf[field] ?? `--${field.replaceAll("_", "-")}`;
  const lead = /^([a-z][a-z_]*)(?:\.(\d+))?: /.exec(message);
  if (!lead?.[1] || !fields.includes(lead[1])) return message;
  // An entry of a list flag, counted from 1 as typed: `--models a,b`'s second glob is `models.1`.
  const entry = lead[2] === undefined ? "" : ` (entry ${Number(lead[2]) + 1})`;
  // Further on, only a field spelt with `_` (expires_at) is surely one ("models" may be a word), and
  // never in quotes: a value quoted back (`"expires_at" is not a configured tenant`) is as given.
  const named = reword(zodWords(message.slice(lead[0].length)))
    .split(/("[^"]*")/)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (w) => (fields.includes(w) ? flag(w) : w)),
    )
    .join("");
  return `${flag(lead[1])}${entry}: ${named}`;
}

/**
 * `error` as the command line says it: a refusal of the input (a 400 of the store's own checks, or
 * a gateway's answer) naming the flag, not the API's field (`inFlagWords`); anything else as it was.
 */
export function withFlagWords(error: unknown, fields: readonly string[], words: FlagWords = {}): unknown {
  if (error instanceof GatewayError && error.status === 400) {
    const said = inFlagWords(error.message, fields, words);
    return said === error.message ? error : new UsageError(said);
  }
  if (error instanceof GatewayCallError && error.message.startsWith(REFUSED)) {
    const refusal = error.message.slice(REFUSED.length);
    const said = inFlagWords(refusal, fields, words);
    return said === refusal ? error : new GatewayCallError(`${REFUSED}${said}`, error.exitCode);
  }
  return error;
}
