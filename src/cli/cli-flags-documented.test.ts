import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { cliProgram } from "./run-cli.ts";

// Every flag `--help` lists is in the operator docs, where they speak of its command: a flag added
// without a word there fails here. The benchmark records are no operator docs.

const ROOT = join(import.meta.dir, "../..");

async function docParagraphs(): Promise<string[]> {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((file) => file.endsWith(".md") && !file.startsWith("BENCHMARKS"))
    .map((file) => join("docs", file));
  const texts = await Promise.all(["README.md", ...docs].map((file) => Bun.file(join(ROOT, file)).text()));
  return texts.flatMap((text) => text.split(/\n\s*\n/));
}

/** `text` as a word of its own: `--limit`, not the start of `--limit-rate` nor `-o` inside `-oa`. */
const word = (text: string) => new RegExp(`(^|[^\\w-])${text.replaceAll("-", "\\-")}(?![\\w-])`);

/** Each command that runs (no subcommands of its own), by its path: `audit export`. */
function* runnable(command: Command, path: readonly string[] = []): Generator<[string[], Command]> {
  if (command.commands.length === 0) yield [[...path], command];
  for (const sub of command.commands) yield* runnable(sub, [...path, sub.name()]);
}

test("every flag of every command is in README.md or docs/, in a paragraph about its command", async () => {
  const paragraphs = await docParagraphs();
  const undocumented: string[] = [];
  let flags = 0;
  for (const [path, command] of runnable(await cliProgram())) {
    // A paragraph about the command names its top-level word (`keys`), as the docs group them
    // (`mindgw keys list | show | revoke`).
    const about = paragraphs.filter((paragraph) => word(path[0] ?? "").test(paragraph));
    for (const option of command.options) {
      const spellings = [option.long, option.short].filter((s): s is string => s !== undefined);
      flags++;
      if (!about.some((paragraph) => spellings.some((s) => word(s).test(paragraph))))
        undocumented.push(`mindgw ${path.join(" ")} ${spellings.join("/")}`);
    }
  }
  expect(flags).toBeGreaterThan(80);
  expect(undocumented).toEqual([]);
});
