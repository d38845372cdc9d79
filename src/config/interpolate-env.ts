/**
 * Thrown when a `${VAR}` reference cannot be resolved: its variable unset (or empty) where the
 * reference needs it, or the reference itself not written as one (no closing `}`, an operator this
 * gateway does not read, a reference nested in a default). `interpolateEnv` throws one holding
 * every value's first such problem (`problems`), so that a deploy missing three secrets is told of
 * the three at once, not one a start.
 */
export class EnvReferenceError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[]) {
    const all = typeof problems === "string" ? [problems] : problems;
    super(all.join("\n"));
    this.problems = all;
  }
}

/**
 * A default's (or a refusal message's) text: any but `}`; compose's escaped `$${…}`, whole with
 * its `}` so that it does not close the reference (compose counts it as a brace), and no `$` in it
 * (so no reference hides in a literal); a run of `$` not leading a `{`. Not a `$${` after another
 * `$` (compose reads `$$` then a reference): left unmatched, it is refused as nested. The escape
 * comes first and holds a plain class: JavaScriptCore took 80 ms on a 40 kB default otherwise.
 */
const OPERAND_TEXT = String.raw`(?:[^}$]|\$\$\{[^}$\n]*\}|\$+(?![{$]))*`;

/**
 * What a reference holds between `${` and `}`: a name; then, for a default or a refusal's message,
 * an operator and its operand. A default may end in a whole `${…}` (the fourth group), matched only
 * to be refused as nested rather than cut at its first `}`; it must close right after, so that
 * `'${A:-${B}' }` stays inside its quotes.
 */
const REFERENCE_BODY = String.raw`([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])(${OPERAND_TEXT}(\$\{[^}
]*\})?))?\}`;

/**
 * A reference, as compose and the shell write them: `${VAR}`; `${VAR:-default}` (unset or empty)
 * and `${VAR-default}` (unset only); `${VAR:?message}` and `${VAR?message}`, refused with the
 * message. Or `$${`, a literal `${` (compose's escape): those three characters alone, so that a
 * reference after it (`$${ ${KEY}`) is still replaced.
 */
export const ENV_REFERENCE = new RegExp(String.raw`\$\$\{|\$\{${REFERENCE_BODY}`, "g");

/**
 * `ENV_REFERENCE` as the YAML shield (parse-config-yaml.ts) hides it: an escape with the
 * reference body it leads, if it leads one (`$${KEY}` unquoted in a flow mapping, whose `}`
 * would close the mapping), and no further: `"ab$${x@h/db", b: c }` keeps its quote and brace.
 */
export const ENV_REFERENCE_AS_WRITTEN = new RegExp(
  String.raw`\$\$\{(?:${REFERENCE_BODY})?|\$\{${REFERENCE_BODY}`,
  "g",
);

/** The variables `text`'s references name, each once, in the order written. */
export function variablesIn(text: string): string[] {
  const names = new Set<string>();
  for (const [, name] of text.matchAll(ENV_REFERENCE)) if (name !== undefined) names.add(name);
  return [...names];
}

/** Where a reference was begun: `${` and a name's first letter. */
const REFERENCE_START = /\$\{[A-Za-z_]/g;

/** The forms a reference may take, said with every refusal of one. */
const FORMS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with ${VAR} references, not a template
  'write ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message} or ${NAME?message}; $${ for a literal "${"';

/**
 * Replaces references (`ENV_REFERENCE`) in every string value of a parsed YAML tree. Substituting
 * after parsing (not in the raw text) means a variable's value can never inject YAML structure.
 * Every value is read before anything is refused: the EnvReferenceError names each value's problem.
 */
export function interpolateEnv(value: unknown, env: Record<string, string | undefined>, path = ""): unknown {
  const problems: string[] = [];
  const replaced = interpolateTree(value, env, path, problems);
  if (problems.length > 0) throw new EnvReferenceError(problems);
  return replaced;
}

/** `interpolateEnv` of one node, each value's refusal added to `problems` (the value kept as written). */
function interpolateTree(
  value: unknown,
  env: Record<string, string | undefined>,
  path: string,
  problems: string[],
): unknown {
  if (typeof value === "string") {
    try {
      return interpolateString(value, env, path || "(root)");
    } catch (error) {
      if (!(error instanceof EnvReferenceError)) throw error;
      problems.push(...error.problems);
      return value;
    }
  }
  if (Array.isArray(value))
    return value.map((item, i) => interpolateTree(item, env, `${path}[${i}]`, problems));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateTree(item, env, path ? `${path}.${key}` : key, problems),
      ]),
    );
  }
  return value;
}

/** One string value with its references replaced; its first refused reference thrown. */
function interpolateString(value: string, env: Record<string, string | undefined>, where: string): string {
  checkReferences(value, where);
  return value.replace(
    ENV_REFERENCE,
    (whole, name: string | undefined, operator: string | undefined, operand: string | undefined) =>
      name === undefined
        ? whole.slice(1)
        : resolve(name, operator, operand?.replaceAll("$${", "${") ?? "", env[name], where),
  );
}

/** What one reference stands for, `found` its variable's value. */
function resolve(
  name: string,
  operator: string | undefined,
  operand: string,
  found: string | undefined,
  where: string,
): string {
  // `:` makes an empty value count as unset, as in the shell; `${VAR}` refuses an empty one too
  // (an api_key left blank by mistake), but says so.
  const emptyIsUnset = operator === undefined || operator.startsWith(":");
  if (found !== undefined && (found !== "" || !emptyIsUnset)) return found;
  if (operator === ":-" || operator === "-") return operand;
  const state =
    found === undefined
      ? "is not set"
      : `is empty${operator === undefined ? ` (write \${${name}:-} where empty is meant)` : ""}`;
  const said = operator === undefined || operand === "" ? "" : `: ${operand}`;
  throw new EnvReferenceError(`${where}: environment variable ${name} ${state}${said}`);
}

/**
 * Every `${` and a name in `text` is a whole reference, or refused saying where it is: never
 * what follows it, which may be a secret (an inline password holding `${`). An unterminated
 * `${OPENAI_API_KEY` was kept as the literal key, and `${A:-${B:-c}}` became the literal `${B:-c}`.
 */
function checkReferences(text: string, where: string): void {
  const refuse = (at: number, why: string) => {
    throw new EnvReferenceError(`${where}: the "\${" at character ${at + 1} ${why}`);
  };
  const nested =
    "holds another reference in its default: nested references are not supported; write the default plainly";
  let accounted = 0;
  const refuseBegunIn = (end: number) => {
    for (const start of text.slice(accounted, end).matchAll(REFERENCE_START)) {
      const at = accounted + start.index;
      const { close, holdsReference } = referenceEnd(text, at);
      if (close === -1) refuse(at, `has no closing "}" (${FORMS})`);
      if (holdsReference) refuse(at, nested);
      refuse(at, `is no reference this gateway reads (${FORMS})`);
    }
  };
  for (const reference of text.matchAll(ENV_REFERENCE)) {
    refuseBegunIn(reference.index);
    if (reference[4] !== undefined) refuse(reference.index, nested);
    accounted = reference.index + reference[0].length;
  }
  refuseBegunIn(text.length);
}

/** A default's escape, whole with its `}`, as `OPERAND_TEXT` reads one. */
const ESCAPE_IN_DEFAULT = /\$\$\{[^}$\n]*\}/y;

/**
 * Where the reference begun at `at` would close: its first `}` that is no default's escape's
 * (`${A:-$${B}` has none: the escape's `}` is its own); -1 for none. `holdsReference`: whether a
 * `${` before it is other than such an escape (`${B}`, or `$$${B}`, which compose reads as `$` and
 * a reference), so nested.
 */
function referenceEnd(text: string, at: number): { close: number; holdsReference: boolean } {
  let holdsReference = false;
  let i = at + 2;
  while (i < text.length) {
    if (text[i] === "}") return { close: i, holdsReference };
    if (text[i] !== "$") {
      i++;
      continue;
    }
    let run = i;
    while (text[run] === "$") run++;
    ESCAPE_IN_DEFAULT.lastIndex = i;
    if (text[run] !== "{") i = run;
    else if (run - i === 2 && ESCAPE_IN_DEFAULT.test(text)) i = ESCAPE_IN_DEFAULT.lastIndex;
    else {
      holdsReference = true;
      i = run + 1;
    }
  }
  return { close: -1, holdsReference };
}
