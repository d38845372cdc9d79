import { onDemand } from "../core/on-demand.ts";
import type { PlaceOf } from "./config-error.ts";
import { aliasProblem } from "./yaml-aliases.ts";
import { yamlPlaces } from "./yaml-places.ts";
import { inTextOrder, type YamlProblem, YamlProblems, yamlProblemOf } from "./yaml-problems.ts";

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
 * the strict schema refused as an unknown field). A text that is no valid YAML throws
 * `YamlProblems`: every error the library finds, with its place, in the order the text writes them;
 * or else an alias naming no anchor, or a merge of what is no mapping (yaml-aliases.ts). What the
 * library reads but warns of (a tag it does not know, `!env KEY`, read as the plain `KEY`; an
 * unknown directive) is given to `warned`, one problem each with its place, where a caller asks.
 */
export function parseYaml(text: string, warned?: (warning: YamlProblem) => void): unknown {
  const library = yaml.get();
  const lines = new library.LineCounter();
  // Not pretty: the place is taken from `pos` (yaml-problems.ts), not from words to parse again.
  const document = library.parseDocument(text, { merge: true, lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0)
    throw new YamlProblems(inTextOrder(document.errors.map((error) => yamlProblemOf(error, lines))));
  // Said with its place, before the library meets it building the values without one.
  const problem = aliasProblem(library, document, lines);
  if (problem !== undefined) throw new YamlProblems([problem]);
  if (warned) for (const warning of document.warnings) warned(yamlProblemOf(warning, lines));
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

export const stringifyYaml = (value: unknown): string => yaml.get().stringify(value);
