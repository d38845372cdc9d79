import { expect, test } from "bun:test";
import { join } from "node:path";
import { builtOnFirstUse, everyHolder, holdersBuilt } from "./built-on-first-use.ts";

test("built on the first read, not before, and only once: later reads are the same value", () => {
  let builds = 0;
  const value = builtOnFirstUse("a test's once-built value", () => ({ built: ++builds }));
  expect(builds).toBe(0);
  expect(holdersBuilt()).not.toContain("a test's once-built value");
  const first = value();
  expect(value()).toBe(first);
  expect(builds).toBe(1);
  expect(holdersBuilt()).toContain("a test's once-built value");
});

test("a build that throws keeps nothing: every read builds again and throws again, until one succeeds", () => {
  let builds = 0;
  const value = builtOnFirstUse("a test's value that fails twice", () => {
    if (++builds <= 2) throw new Error(`build ${builds} failed`);
    return { builds };
  });
  expect(value).toThrow("build 1 failed");
  expect(value).toThrow("build 2 failed");
  expect(holdersBuilt()).not.toContain("a test's value that fails twice");
  expect(value()).toEqual({ builds: 3 });
  expect(value()).toEqual({ builds: 3 });
  expect(builds).toBe(3);
});

test("only objects are held: a build that could give undefined or null (never kept, so built at every read) does not compile", () => {
  // @ts-expect-error: undefined would read as not built yet
  builtOnFirstUse("a test's undefined", () => undefined);
  // @ts-expect-error: so would null
  builtOnFirstUse("a test's null", () => null);
  // @ts-expect-error: and a string is not an object
  builtOnFirstUse("a test's string", () => "text");
});

test("two holders of one name are refused: a holder is a module's constant, never made per call", () => {
  builtOnFirstUse("a test's named value", () => ({}));
  expect(() => builtOnFirstUse("a test's named value", () => ({}))).toThrow(
    'a second holder named "a test\'s named value"',
  );
});

test("every holder under src/ builds (a schema that throws as it is made fails here, not at a user's first request)", async () => {
  const SRC = join(import.meta.dir, "..");
  const files = [...new Bun.Glob("**/*.{ts,tsx}").scanSync(SRC)].filter(
    (file) => !file.endsWith(".test.ts") && !file.endsWith(".test.tsx"),
  );
  const holding: string[] = [];
  for (const file of files)
    if (/\bbuiltOnFirstUse\(\s*"/.test(await Bun.file(join(SRC, file)).text())) holding.push(file);
  // The translations', the shadow API's and key administration's, at least.
  expect(holding.length).toBeGreaterThanOrEqual(6);
  for (const file of holding) await import(join(SRC, file));
  const names = [...everyHolder().keys()].filter((name) => !name.startsWith("a test's"));
  expect(names.length).toBeGreaterThanOrEqual(holding.length);
  for (const [name, read] of everyHolder()) {
    if (name.startsWith("a test's")) continue;
    expect([name, typeof read()]).toEqual([name, "object"]);
  }
});
