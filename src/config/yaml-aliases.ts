import type { Document, LineCounter, Node } from "yaml";
import type { YamlProblem } from "./yaml-problems.ts";

type Yaml = typeof import("yaml");

/**
 * The first alias in `document` that names no anchor set before it, or merge key (`<<`) whose value
 * is no mapping (nor a list of them), with its place. The library finds both only
 * while it builds the values, and says neither where nor, for a merge, which alias: "Merge sources
 * must be maps or map aliases" for a misspelt `<<: *opneai`.
 */
export function aliasProblem(yaml: Yaml, document: Document, lines: LineCounter): YamlProblem | undefined {
  const at = (node: Node, words: string): YamlProblem => {
    const { line, col } = lines.linePos(node.range?.[0] ?? 0);
    return { place: { line, column: col }, words };
  };
  const unresolved = (node: Node) =>
    yaml.isAlias(node) && node.resolve(document) === undefined
      ? at(node, `*${node.source}: no anchor &${node.source} is set before it`)
      : undefined;
  /** Why a merge key's value (or one in its list) cannot be merged, if it cannot; `key`, the `<<`. */
  const notMergeable = (key: Node, node: Node): YamlProblem | undefined => {
    const source = yaml.isAlias(node) ? node.resolve(document) : node;
    if (source === undefined) return unresolved(node);
    if (yaml.isMap(source)) return undefined;
    const what = yaml.isAlias(node) ? `*${node.source} is not a mapping` : "its value is not a mapping";
    return at(key, `<<: merges only a mapping (or a list of them); ${what}`);
  };
  let problem: YamlProblem | undefined;
  yaml.visit(document, {
    Alias(_, node) {
      problem = unresolved(node);
      return problem === undefined ? undefined : yaml.visit.BREAK;
    },
    Pair(_, pair) {
      // A merge key is a plain `<<`, which the library reads as a symbol (a quoted '<<' is a key).
      if (!yaml.isScalar(pair.key) || typeof pair.key.value !== "symbol" || !yaml.isNode(pair.value)) return;
      const sources = yaml.isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) {
        problem = yaml.isNode(source) ? notMergeable(pair.key, source) : undefined;
        if (problem !== undefined) return yaml.visit.BREAK;
      }
      return undefined;
    },
  });
  return problem;
}
