import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

// docs/ARCHITECTURE.md promises that no two folders under src/ import each other's code: the
// dependencies point down. Type-only imports vanish at build and test helpers under a
// `testing/` folder may reach across; everything else is checked here so the promise stays true.
const SRC = import.meta.dir;
const IMPORT = /^import\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "testing" ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.includes(".test.") ? [path] : [];
  });
}

const folderOf = (path: string): string | undefined => {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 ? parts[0] : undefined;
};

test("no two folders under src/ import each other's code", () => {
  const edges = new Map<string, Set<string>>();
  const files = sourceFiles(SRC);
  for (const file of files) {
    const from = folderOf(file);
    if (!from) continue;
    for (const [, typeOnly, target] of readFileSync(file, "utf8").matchAll(IMPORT)) {
      if (typeOnly || !target) continue;
      const to = folderOf(normalize(join(dirname(file), target)));
      if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
    }
  }
  const cycles = [...edges].flatMap(([a, targets]) =>
    [...targets].filter((b) => a < b && edges.get(b)?.has(a)).map((b) => `${a} <-> ${b}`),
  );
  expect(files.length).toBeGreaterThan(300);
  expect(cycles).toEqual([]);
});
