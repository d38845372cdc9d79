// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} references, not templates
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "./config-error.ts";
import { parseConfig, readConfigFile } from "./load-config.ts";
import { configYamlPlaces } from "./parse-config-yaml.ts";
import { loadYaml } from "./yaml-text.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-config-places-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, "gw.yaml");

/** The problems a config file holding `lines` is refused with. */
async function refusal(lines: string[], env: Record<string, string> = {}): Promise<readonly string[]> {
  writeFileSync(file, `${lines.join("\n")}\n`);
  try {
    await readConfigFile(file, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

const PROVIDERS = ["providers:", "  - { name: up, type: openai, base_url: http://127.0.0.1:9/v1 }"];

describe("a config file's problems name the line and column the field is written at", () => {
  test("a misspelt field, in a flow mapping: its name's place", async () => {
    expect(await refusal(["server: { prot: 8080 }"])).toEqual([`${file}:1:11: server.prot: unknown field`]);
  });

  test("a value of the wrong type, in a block mapping: the value's place", async () => {
    const [problem] = await refusal(["server:", "  port: true"]);
    expect(problem).toStartWith(`${file}:2:9: server.port: Invalid input: expected number, received boolean`);
  });

  test("a rule across fields (a route's unknown provider, as the SPEC words it): the value's place", async () => {
    expect(
      await refusal([
        ...PROVIDERS,
        "models:",
        "  - name: m",
        "    routes:",
        "      - { provider: opnai, model: x }",
      ]),
    ).toEqual([`${file}:6:21: models[0].routes[0].provider: unknown provider "opnai"`]);
  });

  test("a field left out: the mapping that lacks it", async () => {
    const [problem] = await refusal([...PROVIDERS, "models:", "  - name: m"]);
    expect(problem).toStartWith(`${file}:4:5: models[0].routes: `);
  });

  test("a value a merge key brings in: where its anchor writes it", async () => {
    const problems = await refusal([
      "x-base: &base { type: openai, base_url: http://127.0.0.1:9/v1, timeout: 5 }",
      "providers:",
      "  - { <<: *base, name: up }",
    ]);
    expect(problems.filter((problem) => problem.includes("timeout"))).toEqual([
      `${file}:1:64: providers[0].timeout: unknown field`,
    ]);
  });

  test("a value an alias repeats: where its anchor writes it", async () => {
    const [problem] = await refusal(["x-d: &d abc", "routing: { backoff: *d }"]);
    expect(problem).toStartWith(`${file}:1:9: routing.backoff: invalid duration "abc"`);
  });

  test("a value from ${VAR}: the reference's place and the variable's name, never its value", async () => {
    const problems = await refusal(["server:", "  port: ${GW_PORT}"], { GW_PORT: "eighty-eighty" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toStartWith(
      `${file}:2:9: server.port: Invalid input: expected number, received string`,
    );
    expect(problems[0]).toEndWith(" (from ${GW_PORT})");
    expect(problems[0]).not.toContain("eighty");
  });

  test("a ${VAR} that is not set: the reference's place, in a flow mapping after another reference", async () => {
    const problems = await refusal(
      ["providers:", "  - { name: up, type: openai, base_url: ${UP_URL}, api_key: ${UP_KEY} }"],
      { UP_URL: "http://127.0.0.1:9/v1" },
    );
    expect(problems).toEqual([`${file}:2:61: providers[0].api_key: environment variable UP_KEY is not set`]);
  });

  test("a setting the file writes no part of (a default's) has no place: not the file's first line", async () => {
    await loadYaml();
    const placeOf = configYamlPlaces("server: { port: 8080 }\n");
    expect(placeOf(["metrics", "listen"], "value")).toBeUndefined();
    expect(placeOf(["server", "host"], "value")).toEqual({ line: 1, column: 9 });
  });

  test("a config given as an object has no file, so no place: its problems as before", () => {
    let said: readonly string[] = [];
    try {
      parseConfig({ server: { prot: 8080 } }, {});
    } catch (error) {
      if (error instanceof ConfigError) said = error.problems;
    }
    expect(said).toEqual(["server.prot: unknown field"]);
  });
});

describe("a type error quotes the value the file writes, unless it may be a secret", () => {
  test("a literal of the wrong type, and an option that is not one: quoted", async () => {
    expect(await refusal(["server: { port: abc }"])).toEqual([
      `${file}:1:17: server.port: Invalid input: expected number, received string (got "abc")`,
    ]);
    const [format] = await refusal(["log:", "  format: txt"]);
    expect(format).toStartWith(`${file}:2:11: log.format: `);
    expect(format).toEndWith(' (got "txt")');
    expect((await refusal(["server: { port: true }"]))[0]).toEndWith("received boolean (got true)");
  });

  test("a secret field's value, or a provider header's, is never quoted", async () => {
    const problems = await refusal([
      "providers:",
      "  - { name: up, type: openai, base_url: http://127.0.0.1:9/v1, api_key: 734251, headers: { x-org: 990017 } }",
    ]);
    expect(problems).toEqual([
      `${file}:2:73: providers[0].api_key: Invalid input: expected string, received number`,
      `${file}:2:99: providers[0].headers.x-org: Invalid input: expected string, received number`,
    ]);
  });

  test("a webhook's URL is never quoted, where a hook or the list should be: its path is its credential", async () => {
    const hook = "https://hooks.slack.com/services/T0/B0/SECRET";
    expect(await refusal(["events:", "  webhooks:", `    - ${hook}`])).toEqual([
      `${file}:3:7: events.webhooks[0]: Invalid input: expected object, received string`,
    ]);
    expect(await refusal(["events:", `  webhooks: ${hook}`])).toEqual([
      `${file}:2:13: events.webhooks: Invalid input: expected array, received string`,
    ]);
  });

  test("any value that reads as a URL is not quoted, nor a provider's headers written as one string", async () => {
    const [port] = await refusal(["server: { port: 'https://example.com/hook/SECRET' }"]);
    expect(port).toEndWith("expected number, received string");
    const problems = await refusal([
      "providers:",
      "  - { name: up, type: openai, base_url: http://127.0.0.1:9/v1, headers: 'x-api-key: SECRET' }",
    ]);
    expect(problems).toEqual([
      `${file}:2:73: providers[0].headers: Invalid input: expected record, received string`,
    ]);
  });

  test("a value with a ${VAR} in it names the variable and quotes nothing, literal text around it included", async () => {
    const problems = await refusal(["server: { port: 'port-${GW_PORT}' }"], { GW_PORT: "secret-ish" });
    expect(problems).toEqual([
      `${file}:1:17: server.port: Invalid input: expected number, received string (from \${GW_PORT})`,
    ]);
  });

  test("an embedder's object is no file: its values are not quoted", () => {
    let said: readonly string[] = [];
    try {
      parseConfig({ server: { port: "abc" } }, {});
    } catch (error) {
      if (error instanceof ConfigError) said = error.problems;
    }
    expect(said).toEqual(["server.port: Invalid input: expected number, received string"]);
  });
});

describe("a check's own words never quote a variable's value", () => {
  test("a duration, and a route's provider, from ${VAR}: the reference is quoted where the value was", async () => {
    const env = { GW_BACKOFF: "hunter2-not-a-duration", GW_UP: "internal-upstream-7" };
    expect(await refusal(["routing: { backoff: '${GW_BACKOFF}' }"], env)).toEqual([
      `${file}:1:21: routing.backoff: invalid duration "\${GW_BACKOFF}" (use e.g. 500ms, 30s, 10m, 30d) (from \${GW_BACKOFF})`,
    ]);
    // `$$` is the text's own (an escaped "$"), not a replacement pattern: quoted as written.
    expect(await refusal(["routing: { backoff: '$$x${GW_BACKOFF}' }"], env)).toEqual([
      `${file}:1:21: routing.backoff: invalid duration "$$x\${GW_BACKOFF}" (use e.g. 500ms, 30s, 10m, 30d) (from \${GW_BACKOFF})`,
    ]);
    const models = "models: [{ name: m, routes: [{ provider: '${GW_UP}', model: x }] }]";
    expect(await refusal([...PROVIDERS, models], env)).toEqual([
      `${file}:3:42: models[0].routes[0].provider: unknown provider "\${GW_UP}" (from \${GW_UP})`,
    ]);
  });
});

describe("a variable's value never appears in a check's words, in any form", () => {
  test("quoted as JSON (a trusted proxy's entry): the reference is quoted instead", async () => {
    expect(await refusal(["server: { trusted_proxies: ['${GW_PX}'] }"], { GW_PX: 'pa"ss' })).toEqual([
      `${file}:1:29: server.trusted_proxies[0]: "\${GW_PX}" is no IP address or CIDR block (e.g. 10.0.0.0/8) (from \${GW_PX})`,
    ]);
  });

  test("bare (a duration's hint for digits): the reference stands there, which is what to write", async () => {
    expect(await refusal(["routing: { backoff: '${GW_PW}' }"], { GW_PW: "987654321" })).toEqual([
      `${file}:1:21: routing.backoff: invalid duration "\${GW_PW}" (needs a unit: \${GW_PW}ms? \${GW_PW}s?) (from \${GW_PW})`,
    ]);
  });

  test("a short value leaves the check's own words whole: a bare form is the reference only as a token of its own", async () => {
    const said = async (value: string) =>
      await refusal(["server: { trusted_proxies: ['${GW_PX}'] }"], { GW_PX: value });
    const words = (reference: string) =>
      `${file}:1:29: server.trusted_proxies[0]: "${reference}" is no IP address or CIDR block (e.g. 10.0.0.0/8) (from \${GW_PX})`;
    for (const value of ["a", "e", "g", "0", "8", "10"])
      expect(await said(value)).toEqual([words("${GW_PX}")]);
    // A number's hint still writes the reference before each unit, a one-digit number's too.
    expect(await refusal(["routing: { backoff: '${GW_PW}' }"], { GW_PW: "5" })).toEqual([
      `${file}:1:21: routing.backoff: invalid duration "\${GW_PW}" (needs a unit: \${GW_PW}ms? \${GW_PW}s?) (from \${GW_PW})`,
    ]);
  });
});
