import type { PlaceOf } from "./config-error.ts";
import { ENV_REFERENCE_AS_WRITTEN } from "./interpolate-env.ts";
import type { YamlProblem } from "./yaml-problems.ts";
import { parseYaml, placesInYaml } from "./yaml-text.ts";

/**
 * Parses a config file's YAML with its `${VAR}` references hidden from the parser. An unquoted
 * `${` is illegal in a flow mapping (`{ api_key: ${OPENAI_API_KEY} }`: the `{` would open a
 * mapping), yet that is how the SPEC writes a provider. So each reference becomes a placeholder
 * word that is a plain string anywhere (block or flow, key or value, quoted or not), and the parsed
 * strings get the reference back, exactly as written. Values are still substituted only after
 * parsing (interpolate-env.ts): a variable's value can never inject YAML structure.
 *
 * A placeholder is as long as its reference (short of a hundred one-letter ones, or a bare `$${`
 * past the tenth), so the columns in a YAML error still match the file.
 * A reference spanning lines is left to the parser, as before. `warned`: as `parseYaml`'s.
 */
export function parseConfigYaml(text: string, warned?: (warning: YamlProblem) => void): unknown {
  const shield = shieldReferences(text);
  if (shield === undefined) return parseYaml(text, warned);
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return shield.restore(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object")
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [shield.restore(key), walk(item)]),
      );
    return value;
  };
  return walk(parseYaml(shield.text, warned));
}

/** Where each field of a config file's YAML is written, its `${VAR}` references hidden as `parseConfigYaml` hides them. */
export function configYamlPlaces(text: string): PlaceOf {
  const shield = shieldReferences(text);
  return shield === undefined ? placesInYaml(text, (key) => key) : placesInYaml(shield.text, shield.restore);
}

/** The text with each reference replaced by its placeholder, and how to put them back; undefined when it has none. */
function shieldReferences(text: string): { text: string; restore: (value: string) => string } | undefined {
  const references: string[] = [];
  // A stem the file does not contain, so nothing but our placeholders can look like one; one
  // character, so that every placeholder fits in its reference's length (`${A}` is four).
  let stem = "¤";
  while (text.includes(stem)) stem += "x";
  const shielded = text.replace(ENV_REFERENCE_AS_WRITTEN, (reference) => {
    if (reference.includes("\n")) return reference;
    const head = `${stem}${references.push(reference) - 1}`;
    return `${head}${"_".repeat(Math.max(0, reference.length - head.length - 1))}z`;
  });
  if (references.length === 0) return undefined;
  const placeholder = new RegExp(`${stem}(\\d+)_*z`, "g");
  return {
    text: shielded,
    restore: (value) =>
      value.replace(placeholder, (word, index: string) => references[Number(index)] ?? word),
  };
}
