import { renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { plugin } from "bun";
import { holdersBuilt } from "../core/built-on-first-use.ts";

/**
 * A preload (`bun --preload …`) for a test that asks which zod schemas a process made. Each SIGUSR2
 * writes, as JSON over the file MINDGW_SCHEMA_BUILDS names, `{ files, holders }`:
 * - `holders`: the built-on-first-use holders built so far, by name (core/built-on-first-use.ts
 *   records them itself), whoever called them: the test's verdict on what a start deferred.
 * - `files`: our files on the stack as each schema was made (`translate/openai-schema.ts`, as
 *   under src/), to find what else a start makes. A lead, not proof: Bun drops a strict module's
 *   tail-call frames, so a schema made by a one-line builder is credited to its caller's file, or
 *   to none of ours.
 *
 * zod is read as it is: each schema's internals are made in one function of its core.js, patched
 * to record the stack. A zod where none of the functions below is found fails the process's start
 * with a message naming its version (the test shows the gateway's stderr), not the test's verdict.
 */
const files = new Set<string>();
const SRC = `${join(import.meta.dir, "..")}/`;

function recordStack(): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 200;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n")) {
    const at = line.indexOf(SRC);
    if (at >= 0) files.add(line.slice(at + SRC.length).replace(/(:\d+)*\)?$/, ""));
  }
}
Object.assign(globalThis, { __recordSchemaBuild: recordStack });

/**
 * Where a schema is made, first found first: the internals' constructor (once a schema; zod 4.6's),
 * then the trait initialiser every zod 4 release has had (once a trait: several a schema).
 */
const ANCHORS = ["function Internals(def) {", "function init(inst, def) {"];
plugin({
  name: "record-schema-builds",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]core[\\/]core\.js$/ }, async ({ path }) => {
      const source = await Bun.file(path).text();
      const anchor = ANCHORS.find((candidate) => source.includes(candidate));
      if (anchor === undefined) throw new Error(await unfitZod(path));
      return {
        contents: source.replace(anchor, `${anchor} globalThis.__recordSchemaBuild();`),
        loader: "js",
      };
    });
  },
});

/** Why this zod cannot be recorded: its version, and what was looked for. */
async function unfitZod(coreJs: string): Promise<string> {
  const packageJson = join(dirname(coreJs), "../../package.json");
  const version = await Bun.file(packageJson)
    .json()
    .then((pkg: { version?: string }) => pkg.version ?? "of no version")
    .catch(() => "of unknown version");
  return `record-schema-builds: zod ${version} (${coreJs}) has none of ${ANCHORS.map((a) => `"${a}"`).join(", ")}: update ANCHORS in src/testing/record-schema-builds.ts to the function where this zod makes a schema`;
}

process.on("SIGUSR2", () => {
  const out = process.env.MINDGW_SCHEMA_BUILDS;
  if (!out) return;
  // Written whole under another name first: a reader never finds it half written.
  writeFileSync(`${out}.part`, JSON.stringify({ files: [...files].sort(), holders: holdersBuilt() }));
  renameSync(`${out}.part`, out);
});
