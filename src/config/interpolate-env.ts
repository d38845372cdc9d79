/** Thrown when `${VAR}` names a variable that is unset or empty and has no `:-default`. */
export class MissingEnvError extends Error {}

/** `${VAR}` or `${VAR:-default}`: the one spelling of a reference, here and in parse-config-yaml.ts. */
export const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value of a parsed YAML tree.
 * Substituting after parsing (not in the raw text) means a variable's value can never
 * inject YAML structure.
 */
export function interpolateEnv(value: unknown, env: Record<string, string | undefined>, path = ""): unknown {
  if (typeof value === "string") {
    return value.replace(ENV_REFERENCE, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== "") return found;
      if (fallback !== undefined) return fallback;
      // An empty value is refused as an unset one (an api_key left blank by mistake), but said so.
      const state = found === "" ? `is empty (write \${${name}:-} where empty is meant)` : "is not set";
      throw new MissingEnvError(`${path || "(root)"}: environment variable ${name} ${state}`);
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
