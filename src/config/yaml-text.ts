import { onDemand } from "../core/on-demand.ts";
import type { PlaceOf } from "./config-error.ts";
import { aliasProblem } from "./yaml-aliases.ts";
import { yamlPlaces } from "./yaml-places.ts";

/**
 * The yaml library, loaded with the first config file read (`readConfigText`, the watcher) or
 * printed, never at start on the embedded defaults, where the gateway parses no YAML.
 */
const yaml = onDemand("YAML", "loadYaml", () => import("yaml"));

export const loadYaml = yaml.load;

/**
 * The text's YAML; a `NotLoadedError` (core/on-demand.ts) before `loadYaml`. Merge keys
 * (`<<: *base`) are merged, as YAML 1.1 and most tools read them: one provider's settings repeated
 * for another by an anchor, its own keys winning (the library's default keeps `<<` as a key, which
 * the strict schema refused as an unknown field). An alias naming no anchor, or a merge of what
 * is no mapping, is refused with its line and column (yaml-aliases.ts). What the library reads
 * but warns of (a tag it does not know, `!env KEY`, read as the plain `KEY`; an unknown
 * directive) is given to `warned`, one line each with its place, where a caller asks for it.
 */
export function parseYaml(text: string, warned?: (warning: string) => void): unknown {
  const library = yaml.get();
  const lines = new library.LineCounter();
  const document = library.parseDocument(text, { merge: true, lineCounter: lines });
  const [error] = document.errors;
  if (error !== undefined) throw error;
  // Said with its place, before the library meets it building the values without one.
  const problem = aliasProblem(library, document, lines);
  if (problem !== undefined) throw new Error(problem);
  if (warned) for (const warning of document.warnings) warned(placedWords(warning.message));
  return document.toJS();
}

/**
 * Where each field of the text's YAML is written (yaml-places.ts), `keyText` as there. Parsed
 * again rather than kept from `parseYaml`: only a refused config is placed, and a kept document
 * would double what a large config holds while it serves.
 */
export function placesInYaml(text: string, keyText: (key: string) => string): PlaceOf {
  const library = yaml.get();
  const lines = new library.LineCounter();
  const document = library.parseDocument(text, { merge: true, lineCounter: lines });
  return yamlPlaces(library, document, lines, keyText);
}

/**
 * A library message's first line, which ends with its place ("… at line 5, column 14:"). Not the
 * excerpt after it: that would show the shielded text of `${VAR}` references
 * (parse-config-yaml.ts), not the file's.
 */
const placedWords = (message: string): string => (message.split("\n", 1)[0] ?? message).replace(/:$/, "");

export const stringifyYaml = (value: unknown): string => yaml.get().stringify(value);
