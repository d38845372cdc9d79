import type { LineCounter } from "yaml";
import { comparePlaces, type Place } from "./config-error.ts";

/** What is wrong (or warned of) in a YAML text, and where, when the library or our check says where. */
export interface YamlProblem {
  readonly place?: Place;
  readonly words: string;
}

/**
 * A text that is no valid YAML: every problem found in it, in the order the text writes them
 * (load-config.ts says each as `file:line:column: not valid YAML: …`).
 */
export class YamlProblems extends Error {
  constructor(readonly problems: readonly YamlProblem[]) {
    super(problems.map((problem) => problem.words).join("\n"));
    this.name = "YamlProblems";
  }
}

/**
 * A library error or warning as a `YamlProblem`: its message is parsed with `prettyErrors: false`,
 * so it holds neither its place (" at line 5, column 14") nor an excerpt of the text, which would
 * show the shielded text of `${VAR}` references (parse-config-yaml.ts), not the file's. A `pos` of
 * -1 is the library's "nowhere".
 */
export function yamlProblemOf(
  error: { readonly pos: readonly [number, number]; readonly message: string },
  lines: LineCounter,
): YamlProblem {
  const words = error.message.split("\n", 1)[0] ?? error.message;
  if (error.pos[0] < 0) return { words };
  const { line, col } = lines.linePos(error.pos[0]);
  return { place: { line, column: col }, words };
}

/** Problems by their place in the text; those placed nowhere after, as found. */
export const inTextOrder = (problems: readonly YamlProblem[]): YamlProblem[] =>
  problems.toSorted((a, b) => comparePlaces(a.place, b.place));
