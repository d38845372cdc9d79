import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The repository's root, where the documents' paths start. */
export const ROOT = join(import.meta.dir, "../..");

/**
 * The documents users copy examples from. Not the benchmark records (docs/BENCHMARKS*.md): their
 * commands are what was run then, kept as history.
 */
export const USER_DOCS = [
  "README.md",
  "docs/ADMIN-UI.md",
  "docs/ARCHITECTURE.md",
  "docs/CLIENTS.md",
  "docs/DEPLOYMENT.md",
  "docs/EMBEDDING.md",
  "docs/OBSERVABILITY.md",
  "docs/PROVIDERS.md",
  "docs/RELIABILITY.md",
  "docs/SECURITY.md",
  "docs/worker-protocol.md",
];

/** One fenced block of a document, its text as a reader copies it (the fence's indentation taken off). */
export interface DocBlock {
  readonly file: string;
  /** The line of its opening fence, 1-based: where a failure points. */
  readonly line: number;
  /** The fence's info string's first word: `yaml`, `ts`; empty when it has none. */
  readonly language: string;
  readonly text: string;
  /** The reason of a `<!-- not-checked: reason -->` on the line before the fence, if there is one. */
  readonly notChecked?: string;
}

/** Where a block is, as a failure names it: `docs/PROVIDERS.md:38`. */
export const placeOf = (block: DocBlock): string => `${block.file}:${block.line}`;

const FENCE = /^( *)```(\S*)[^\n]*\n([\s\S]*?)^\1```[ \t]*$/gm;
const NOT_CHECKED = /<!--\s*not-checked:\s*(.*?)\s*-->\s*$/;

/** Every fenced block of `file` (a path from the root), in the order it writes them. */
export function blocksOf(file: string): DocBlock[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(FENCE)].map((match) => {
    const indent = match[1]?.length ?? 0;
    const before = text.slice(0, match.index);
    const line = before.split("\n").length;
    // The nearest line above that says something: a mark may stand a blank line away from its fence.
    const above = before.trimEnd().split("\n").at(-1) ?? "";
    const reason = NOT_CHECKED.exec(above)?.[1];
    return {
      file,
      line,
      language: match[2] ?? "",
      text: (match[3] ?? "")
        .split("\n")
        .map((row) => row.slice(Math.min(indent, row.length - row.trimStart().length)))
        .join("\n"),
      ...(reason === undefined ? {} : { notChecked: reason }),
    };
  });
}

/** Every block of the user docs in one of `languages`, marked ones left out. */
export function docBlocks(...languages: string[]): DocBlock[] {
  return USER_DOCS.flatMap(blocksOf).filter(
    (block) => languages.includes(block.language) && block.notChecked === undefined,
  );
}

/** Each inline code span of the user docs (`like this`), with where it is. */
export function codeSpans(): { file: string; line: number; text: string }[] {
  return USER_DOCS.flatMap((file) => {
    // Fenced blocks are read as blocks, not as spans.
    const text = readFileSync(join(ROOT, file), "utf8").replace(FENCE, (block) =>
      block.replace(/[^\n]/g, " "),
    );
    return [...text.matchAll(/(?<!`)`([^`]+)`(?!`)/g)].map((match) => ({
      file,
      line: text.slice(0, match.index).split("\n").length,
      text: match[1] ?? "",
    }));
  });
}

/**
 * The one inline code span of `file` that holds `fragment`, as a reader reads it (its line breaks
 * as spaces): a message the document quotes, for a test that checks the binary says it so.
 */
export function quotedSpan(file: string, fragment: string): string {
  const found = codeSpans()
    .filter((span) => span.file === file)
    .map((span) => span.text.replace(/\s+/g, " "))
    .filter((text) => text.includes(fragment));
  if (found.length !== 1) throw new Error(`${file}: ${found.length} code spans hold "${fragment}", not one`);
  return found[0] ?? "";
}
