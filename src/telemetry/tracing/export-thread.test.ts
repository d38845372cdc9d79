import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const SRC = resolve(import.meta.dir, "../..");

/** The modules of ours `entry` loads, itself included (type-only imports vanish at build). */
function modulesOf(entry: string): Set<string> {
  const transpiler = new Bun.Transpiler({ loader: "ts" });
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const { path } of transpiler.scanImports(readFileSync(file, "utf8")))
      if (path.startsWith(".")) visit(resolve(dirname(file), path));
  };
  visit(entry);
  return seen;
}

test("the trace export thread loads no module of http/: the request id's prefix and words come from core/", () => {
  const loaded = [...modulesOf(join(import.meta.dir, "export-thread.ts"))].map((file) => relative(SRC, file));
  expect(loaded).toContain(join("telemetry", "tracing", "otlp-span-writer.ts"));
  // Before: otlp-span-writer.ts and read-span-batch.ts took FRESH_ID_PREFIX from http/request-id.ts,
  // and the thread built its id buffer and 4 KB random pool for nothing.
  expect(loaded.filter((file) => file.startsWith(`http${sep}`))).toEqual([]);
});
