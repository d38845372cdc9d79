import { expect, test } from "bun:test";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "./config-error.ts";
import { parseConfig } from "./load-config.ts";

// Config is strict everywhere: a typo at any depth (`auth.jwt.claims.rol`) is an error that names
// its path, never a silently ignored setting. Every mapping of the documented example gets an
// unknown key in turn; only maps whose keys are data (names, headers, labels) may accept it.
const EXAMPLE = join(import.meta.dir, "../../config.example.yaml");

/** Maps keyed by data, not by option names. */
const DATA_MAPS = [/^prices$/, /\.headers$/, /\.labels$/, /^providers\[\d+\]\.headers$/];

type Node = Record<string, unknown> | unknown[];

function* mappings(value: unknown, path: string): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* mappings(item, `${path}[${i}]`);
  } else if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    yield [path, record];
    for (const [key, child] of Object.entries(record)) yield* mappings(child, path ? `${path}.${key}` : key);
  }
}

test("an unknown key in any section of the config is an error naming its path", async () => {
  const document = parseYaml(await Bun.file(EXAMPLE).text()) as Node;
  const env = { OPENAI_API_KEY: "x", ANTHROPIC_API_KEY: "x" };
  parseConfig(structuredClone(document), env);
  let checked = 0;
  for (const [path] of mappings(document, "")) {
    if (DATA_MAPS.some((pattern) => pattern.test(path))) continue;
    const copy = structuredClone(document);
    const target = [...mappings(copy, "")].find(([p]) => p === path)?.[1];
    if (!target) continue;
    target.zz_typo = 1;
    const problems = (() => {
      try {
        parseConfig(copy, env);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
      }
    })();
    const where = path ? `${path}.zz_typo` : "zz_typo";
    expect({ where, problems }).toMatchObject({
      where,
      problems: expect.arrayContaining([`${where}: unknown field`]),
    });
    checked++;
  }
  expect(checked).toBeGreaterThan(15);
});
