import type { Document, LineCounter, Node } from "yaml";
import type { Place, PlaceOf } from "./config-error.ts";

type Yaml = typeof import("yaml");

/**
 * Where each field of a parsed YAML document is written (`PlaceOf`). `keyText`: a key as the
 * document's values read it (parse-config-yaml.ts hides `${VAR}` references from the parser).
 * A value an alias repeats, or a merge key (`<<: *base`) brings in, is placed where its anchor
 * writes it: that is the text to edit. A path that goes further than the file (a field left out,
 * a default's) is placed at the deepest part the file writes, such as the mapping that lacks it;
 * one the file writes no part of, nowhere.
 */
export function yamlPlaces(
  yaml: Yaml,
  document: Document,
  lines: LineCounter,
  keyText: (key: string) => string,
): PlaceOf {
  const placeOf = (node: unknown): Place | undefined => {
    const offset = yaml.isNode(node) ? node.range?.[0] : undefined;
    if (offset === undefined) return undefined;
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const resolved = (node: unknown): unknown => (yaml.isAlias(node) ? (node.resolve(document) ?? node) : node);

  /** The pair of `map` whose key is `name`: its own, else the first merged-in mapping's. */
  const pairNamed = (map: unknown, name: string, depth = 0): { key: unknown; value: unknown } | undefined => {
    if (!yaml.isMap(map) || depth > 32) return undefined;
    const own = map.items.find((pair) => yaml.isScalar(pair.key) && keyText(String(pair.key.value)) === name);
    if (own !== undefined) return own;
    for (const pair of map.items) {
      // A merge key is a plain `<<`, which the library reads as a symbol (yaml-aliases.ts).
      if (!yaml.isScalar(pair.key) || typeof pair.key.value !== "symbol") continue;
      const value = resolved(pair.value);
      for (const source of yaml.isSeq(value) ? value.items : [value]) {
        const found = pairNamed(resolved(source), name, depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };

  return (path, what) => {
    let node: unknown = document.contents;
    // Nothing the file writes, not even its first key: a default's, placed nowhere (not at 1:1).
    let place: Place | undefined;
    for (const [i, part] of path.entries()) {
      const holder = resolved(node);
      let key: unknown;
      if (yaml.isSeq(holder) && typeof part === "number") node = holder.items[part];
      else {
        const pair = pairNamed(holder, String(part));
        if (pair === undefined) return place;
        ({ key, value: node } = pair);
      }
      const last = i === path.length - 1;
      // A key with no value (`port:`) is placed at its key; a value an alias repeats, at its anchor's.
      const valuePlace = placeOf(resolved(node) as Node | null);
      place = (last && what === "key") || valuePlace === undefined ? (placeOf(key) ?? place) : valuePlace;
    }
    return place;
  };
}
