import { withoutShapes } from "../core/credential-shapes.ts";
import { variablesIn } from "./interpolate-env.ts";
import { isSecretField, redactUrl } from "./redact-config.ts";

/**
 * An invalid config: every problem found, each prefixed with the path it is at. `warnings`: what the
 * YAML library read in the file but warned of (`readConfigFile`), kept for `config check` to say,
 * since a tag read as no tag is often why a field is refused (`port: !env PORT` is the word "PORT").
 * `file`: the config file whose settings these problems are in (a refused field, YAML that is not
 * valid), so that the CLI says which above them (a file given by MINDGW_CONFIG, or by a unit file's
 * -c, is on no command line the reader sees); none for a problem of the file itself (no such file,
 * empty), which names it once.
 */
export class ConfigError extends Error {
  /**
   * Each problem with any credential of a known shape replaced: a message may quote the value it
   * refuses, and a variable misnamed in a template (`backoff: ${OPENAI_API_KEY}`) holds a key.
   */
  readonly problems: readonly string[];

  constructor(
    problems: readonly string[],
    readonly warnings: readonly string[] = [],
    readonly file?: string,
  ) {
    const said = problems.map(withoutShapes);
    super(said.join("\n"));
    this.name = "ConfigError";
    this.problems = said;
  }
}

/** `["models", 1, "routes", 0, "provider"]` → `models[1].routes[0].provider`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(root)";
}

/** Where a field is written in a config file: its line and column, from 1, as editors count. */
export interface Place {
  readonly line: number;
  readonly column: number;
}

/** `file:line:column`, as editors and terminals open a place; the file alone where there is none. */
export const placeInFile = (file: string, place: Place | undefined): string =>
  place === undefined ? file : `${file}:${place.line}:${place.column}`;

/** Earlier line, then earlier column, first; no place after any place. */
export function comparePlaces(a: Place | undefined, b: Place | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  return a.line - b.line || a.column - b.column;
}

/** Where the field at `path` is written: its value, or (`"key"`) its name, as an unknown field's is. */
export type PlaceOf = (path: readonly PropertyKey[], what: "key" | "value") => Place | undefined;

/** A problem at one field, as a check finds it: its words follow the field's path. */
export interface FieldProblem {
  readonly path: readonly PropertyKey[];
  readonly words: string;
  /** The field's name is at fault (an unknown field), not its value. */
  readonly atKey?: boolean;
  /**
   * The words say what was expected, not what was written (a type error, an option that is not
   * one): the value is quoted after them where the file writes it plainly.
   */
  readonly valueUnsaid?: boolean;
}

/**
 * What problems are said against. `values`: the document as written (before `${VAR}`s are
 * replaced) and as read (after), to name the variables a refused value came from and keep their
 * values out of the words; not for problems that name their variables already. `file` and
 * `placeOf` when it was read from a config file: each problem then begins with the place of its
 * field (`gw.yaml:4:11: server.port: …`), which editors and terminals open; an embedder's
 * object has none.
 */
export interface ProblemSource {
  readonly values?: { readonly written: unknown; readonly read: unknown };
  readonly file?: string;
  readonly placeOf?: PlaceOf;
}

/** A problem as said, and where its field is written (none for words that name no field). */
interface SaidProblem {
  readonly said: string;
  readonly place: Place | undefined;
}

/**
 * A problem as said: a `FieldProblem`, or a check's words that begin with the path (`formatPath`)
 * they are at, placed and told where its value came from; other words (the file's own) as they are.
 */
function sayProblem(problem: FieldProblem | string, source: ProblemSource): SaidProblem {
  const field = typeof problem === "string" ? fieldProblemOf(problem) : problem;
  if (field === undefined) return { said: problem as string, place: undefined };
  const place = source.placeOf?.(field.path, field.atKey ? "key" : "value");
  return { said: sayField(problem, field, place, source), place };
}

/** The words of a problem at `field`, written at `place`. */
function sayField(
  problem: FieldProblem | string,
  field: FieldProblem,
  place: Place | undefined,
  source: ProblemSource,
): string {
  const said = typeof problem === "string" ? problem : `${formatPath(field.path)}: ${field.words}`;
  const at = place === undefined || source.file === undefined ? "" : `${placeInFile(source.file, place)}: `;
  if (field.atKey || source.values === undefined) return `${at}${said}`;
  const written = valueAt(source.values.written, field.path);
  const names = typeof written === "string" ? variablesIn(written) : [];
  if (typeof written === "string" && names.length > 0) {
    const read = valueAt(source.values.read, field.path);
    // The words after the path: a value such as "routing" leaves the path as it is.
    const words =
      typeof read === "string" && read !== ""
        ? `${formatPath(field.path)}: ${withReference(field.words, read, written)}`
        : said;
    return `${at}${words} (from ${names.map((name) => `\${${name}}`).join(", ")})`;
  }
  const quoted = field.valueUnsaid && source.file !== undefined ? quotedLiteral(written, field.path) : "";
  return `${at}${said}${quoted}`;
}

/**
 * Problems as said (`sayProblem`), in the order the file writes their fields: the schema checks
 * fields in its own order (`server` before `providers`), and the checks across fields come after
 * it. Those placed nowhere come last, as found. The first `MOST_PROBLEMS` of them (`firstProblems`).
 */
export function sayProblems(
  problems: readonly (FieldProblem | string)[],
  source: ProblemSource,
): readonly string[] {
  const placed = problems.map((problem) => sayProblem(problem, source));
  const said = placed.toSorted((a, b) => comparePlaces(a.place, b.place)).map(({ said }) => said);
  return firstProblems(said, "problem");
}

/**
 * The most problems a config is refused with: a file wrapped in merge-conflict markers gives
 * hundreds of YAML errors, a JSON file mis-indented as YAML thousands, each carried into the log
 * line, `lastReloadError`, every `config.rejected` event (its webhooks, the Redis stream) and
 * `config check`. The first ones, in the order the file writes them, are where to start.
 */
export const MOST_PROBLEMS = 20;

/**
 * The first `MOST_PROBLEMS` of `said`, then `… and M more <kind>s` in place of the rest: one rule
 * for YAML errors (`kind` "YAML error", load-config.ts) and schema problems ("problem").
 */
export function firstProblems(said: readonly string[], kind: string): readonly string[] {
  const more = said.length - MOST_PROBLEMS;
  if (more <= 0) return said;
  return [...said.slice(0, MOST_PROBLEMS), `… and ${more} more ${kind}${more === 1 ? "" : "s"}`];
}

/**
 * `words` with the value a `${VAR}` put there (`read`) said as the text that names it (`written`),
 * in every form a check writes it: quoted (`invalid duration "…"`), quoted as JSON
 * (`"pa\"ss" is no IP address`), or bare (`needs a unit: 60ms?`, then `${PW}ms?`, which is
 * what to write). Bare only as a token of its own (`BARE_BEFORE`, `BARE_AFTER`), so that a short
 * value leaves the check's own words whole (`a` in "address", `e` in "e.g.", `0` in "10.0.0.0/8").
 * In one pass, so that no reference put in is read again; the reference as a function's result, so
 * that a `$$` the text writes is not read as a replacement pattern.
 */
function withReference(words: string, read: string, written: string): string {
  const quoted = [`"${read}"`, JSON.stringify(read)].map(RegExp.escape).join("|");
  const after = NUMBER.test(read) ? BARE_AFTER_NUMBER : BARE_AFTER;
  const forms = new RegExp(`(${quoted})|${BARE_BEFORE}${RegExp.escape(read)}${after}`, "g");
  return words.replace(forms, (_, isQuoted?: string) => (isQuoted === undefined ? written : `"${written}"`));
}

/** A bare value's token starts the words, or follows a space or an opening bracket. */
const BARE_BEFORE = "(?<![^\\s(\\[{])";
/** …and ends them, or a space or a sentence's punctuation follows (not "." nor "/": "e.g.", "10.0.0.0/8"). */
const BARE_AFTER = "(?![^\\s,;:)\\]}?!])";
/** A number's token may end in its unit too: the duration's hint writes `60ms?`. */
const BARE_AFTER_NUMBER = "(?![^\\s,;:)\\]}?!A-Za-z])";
const NUMBER = /^\d+(\.\d+)?$/;

/** A path `formatPath` writes, at the start of a check's words, and the words after it. */
const LEADING_PATH = /^([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*): (.*)$/s;
const PATH_PART = /\[(\d+)\]|\.?([^.[]+)/g;

/** `models[0].routes[1].provider: unknown provider "x"` as the field it is at; undefined for words that name none. */
function fieldProblemOf(problem: string): FieldProblem | undefined {
  const match = LEADING_PATH.exec(problem);
  if (match?.[1] === undefined) return undefined;
  const path = [...match[1].matchAll(PATH_PART)].map(([, index, key]) =>
    index === undefined ? (key ?? "") : Number(index),
  );
  return { path, words: match[2] ?? "" };
}

/** The value at `path` in a parsed document; undefined where it has none. */
function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let value = document;
  for (const part of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}

/** The longest text of a value quoted in a problem: past it, a value is cut short with "…". */
const MOST_QUOTED = 80;

/**
 * ` (got "abc")` for a scalar the file writes itself; nothing for a secret field's (redact-config.ts),
 * nor for anything under `events.webhooks` or a text that reads as a URL: a webhook's path is its
 * credential (Slack's `/services/T…/B…/<secret>`), and a URL written where it does not belong may
 * be one. A `user:pass@` that reads as no URL is cut out as `config check` prints it.
 */
function quotedLiteral(written: unknown, path: readonly PropertyKey[]): string {
  if (isSecretField(path) || (path[0] === "events" && path[1] === "webhooks")) return "";
  if (typeof written === "string") {
    if (URL.canParse(written)) return "";
    const text = redactUrl(written);
    return ` (got ${JSON.stringify(text.length > MOST_QUOTED ? `${text.slice(0, MOST_QUOTED)}…` : text)})`;
  }
  const plain = typeof written === "number" || typeof written === "boolean" || written === null;
  return plain ? ` (got ${String(written)})` : "";
}
