import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { plugin } from "bun";

/**
 * A preload (`bun --preload …`) for a test that asks which zod schemas a process made: every
 * schema made is recorded by our files on the stack as it was made (`translate/openai-schema.ts`,
 * as under src/), and each SIGUSR2 writes those files, as a JSON list, over the file
 * MINDGW_SCHEMA_BUILDS names. zod is read as it is (each schema's internals made in one function
 * of its core.js); a zod this patch does not fit fails the process's start, not the test's verdict.
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

const INTERNALS = "function Internals(def) {";
plugin({
  name: "record-schema-builds",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]core[\\/]core\.js$/ }, async ({ path }) => {
      const source = await Bun.file(path).text();
      if (!source.includes(INTERNALS)) throw new Error(`record-schema-builds: ${path} has no "${INTERNALS}"`);
      return {
        contents: source.replace(INTERNALS, `${INTERNALS} globalThis.__recordSchemaBuild();`),
        loader: "js",
      };
    });
  },
});

process.on("SIGUSR2", () => {
  const out = process.env.MINDGW_SCHEMA_BUILDS;
  if (!out) return;
  // Written whole under another name first: a reader never finds it half written.
  writeFileSync(`${out}.part`, JSON.stringify([...files].sort()));
  renameSync(`${out}.part`, out);
});
