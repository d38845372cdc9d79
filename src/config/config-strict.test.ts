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

test("metrics.listen: a port past 65535 and the main listener's own address are refused at load, naming it", () => {
  const problems = (config: object) => {
    try {
      parseConfig(config, {});
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems;
    }
  };
  expect(problems({ metrics: { listen: "127.0.0.1:99999" } })).toEqual([
    "metrics.listen: host:port with a port 0-65535, e.g. 127.0.0.1:9464",
  ]);
  expect(problems({ metrics: { listen: "[::1]:65536" } })).toHaveLength(1);
  const server = { host: "127.0.0.1", port: 9000 };
  expect(problems({ server, metrics: { listen: "127.0.0.1:9000" } })).toEqual([
    "metrics.listen: 127.0.0.1:9000 is the main listener's own address (server.host 127.0.0.1, server.port 9000): give it a port of its own",
  ]);
  // Every address on the port: the main listener's default host (0.0.0.0) takes the loopback's too.
  expect(problems({ server: { port: 9000 }, metrics: { listen: "127.0.0.1:9000" } })).toHaveLength(1);
  expect(problems({ server, metrics: { listen: "0.0.0.0:9000" } })).toHaveLength(1);
  // Another port, another address on the port, or port 0 (any free one): taken.
  for (const listen of ["127.0.0.1:9464", "127.0.0.2:9000", "127.0.0.1:0", "[::1]:65535"])
    expect({ listen, problems: problems({ server, metrics: { listen } }) }).toEqual({ listen, problems: [] });
});

test('server.host: "" is refused naming it, where Bun listened on every interface while the log said localhost', () => {
  // `host: ${HOST:-}` with HOST unset gives "" as well.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with a ${VAR} reference
  for (const document of [{ server: { host: "" } }, { server: { host: "${HOST:-}" } }]) {
    expect(() => parseConfig(document, {})).toThrow(
      "server.host: empty: give the address to listen on (0.0.0.0: every IPv4 interface; 127.0.0.1: this host alone), or leave it out for 0.0.0.0",
    );
  }
  expect(parseConfig({ server: { host: "127.0.0.1" } }, {}).server.host).toBe("127.0.0.1");
});
