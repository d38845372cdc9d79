/**
 * Thrown when a `${VAR}` reference cannot be resolved: its variable unset or empty without a
 * `:-default`, or the reference itself not written as one (no closing `}`, a reference nested in
 * a default).
 */
export class EnvReferenceError extends Error {}

/**
 * `${VAR}` or `${VAR:-default}`: the one spelling of a reference, here and in parse-config-yaml.ts.
 * A default may hold a whole `${…}`, which is matched only to be refused as nested (`checkReferences`)
 * rather than cut at its first `}`.
 */
export const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^}$]|\$(?!\{)|\$\{[^}]*\})*))?\}/g;

/** Where a reference begins: `${` and a name; what follows must make it one. */
const REFERENCE_START = /\$\{([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value of a parsed YAML tree.
 * Substituting after parsing (not in the raw text) means a variable's value can never
 * inject YAML structure.
 */
export function interpolateEnv(value: unknown, env: Record<string, string | undefined>, path = ""): unknown {
  if (typeof value === "string") {
    checkReferences(value, path || "(root)");
    return value.replace(ENV_REFERENCE, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== "") return found;
      if (fallback !== undefined) return fallback;
      // An empty value is refused as an unset one (an api_key left blank by mistake), but said so.
      const state = found === "" ? `is empty (write \${${name}:-} where empty is meant)` : "is not set";
      throw new EnvReferenceError(`${path || "(root)"}: environment variable ${name} ${state}`);
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolateEnv(item, env, path ? `${path}.${key}` : key),
      ]),
    );
  }
  return value;
}

/**
 * Every `${NAME` in `text` is a whole reference, or refused naming the variable (never the
 * default, which may be a secret): an unterminated `${OPENAI_API_KEY` was kept as the literal
 * key, and `${A:-${B:-c}}` became the literal `${B:-c}`. Nested defaults are not supported.
 */
function checkReferences(text: string, where: string): void {
  for (const start of text.matchAll(REFERENCE_START)) {
    const name = start[1];
    const rest = text.slice(start.index + start[0].length);
    const close = rest.indexOf("}");
    const written = `write \${${name}} or \${${name}:-default}`;
    if (close === -1) throw new EnvReferenceError(`${where}: \${${name} has no closing "}" (${written})`);
    const between = rest.slice(0, close);
    if (between !== "" && !between.startsWith(":-"))
      throw new EnvReferenceError(`${where}: \${${name}… is no reference (${written})`);
    if (between.includes("${"))
      throw new EnvReferenceError(
        `${where}: \${${name}:-…} holds another reference in its default: nested references are not supported; write the default plainly`,
      );
  }
}
