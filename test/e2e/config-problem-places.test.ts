import { describe, expect, test } from "bun:test";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { waitFor } from "./harness/wait-for.ts";

// Every problem in a config file, YAML syntax or schema, at start or at a reload, begins with
// `file:line:column:` (the file as the command line names it), in the order the file writes them.

// No gateway of its own: the reload's test starts one on a file named relative to its folder.
const fx = gatewayFixture({ fake: null, gateway: false });

let files = 0;
/** A config file in the fixture's folder with `lines` written in it, and its name there. */
function writeConfig(lines: readonly string[]): string {
  const name = `config-${++files}.yaml`;
  writeFileSync(join(fx.dir, name), `${lines.join("\n")}\n`);
  return name;
}

/**
 * `mindgw config check -c name` run in the file's folder: the problems it lists, unindented, under
 * a head naming the file, whatever kind of problem (YAML syntax, schema) they are.
 */
async function checked(name: string): Promise<string[]> {
  const result = await runMindgw(["config", "check", "-c", name], { cwd: fx.dir });
  expect(result.code).toBe(2);
  const [head, ...problems] = result.stderr.trimEnd().split("\n");
  expect(head).toBe(`invalid config: ${name}`);
  return problems.map((line) => line.trim());
}

// Two YAML syntax errors: a key written twice (3:3), a flow sequence not closed before the next key (5:1).
const BROKEN_YAML = [
  "server:",
  "  port: 8080",
  "  port: 9090",
  "models: [ { name: m, routes: [{ provider: mock, model: m }] }",
  "providers: [{ name: mock, type: mock }]",
];

// Refused fields the schema checks in another order than the file writes them.
const MISORDERED_FIELDS = [
  "models: [{ name: m, routes: [{ provider: mock, model: m }] }]",
  "providers:",
  "  - { name: mock, type: mok }",
  "server: { prot: 1 }",
  "log: { format: txt }",
];

describe("at start", () => {
  test("broken YAML: the file named above, each syntax error is file:line:column:, in line order, no 'at line' words; config check and serve alike", async () => {
    const name = writeConfig(BROKEN_YAML);
    const problems = await checked(name);
    expect(problems).toEqual([
      `${name}:3:3: not valid YAML: Map keys must be unique`,
      `${name}:5:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
    const served = await runMindgw(["serve", "-c", name, "--host", "127.0.0.1", "--port", "0"], {
      cwd: fx.dir,
    });
    expect(served.code).toBe(2);
    expect(served.stderr).toBe(`invalid config: ${name}\n${problems.map((line) => `  ${line}\n`).join("")}`);
  });

  test("schema problems are listed in the order the file writes their fields", async () => {
    const name = writeConfig(MISORDERED_FIELDS);
    expect(await checked(name)).toEqual([
      `${name}:3:25: providers[0].type: Invalid option: expected one of "openai"|"anthropic"|"azure"|"bedrock"|"gemini"|"vertex"|"mock" (got "mok")`,
      `${name}:4:11: server.prot: unknown field`,
      `${name}:5:16: log.format: Invalid option: expected one of "text"|"json" (got "txt")`,
    ]);
  });
});

describe("many problems", () => {
  // A file wrapped in merge-conflict markers, or JSON mis-indented as YAML, gives thousands: each
  // carried into the log line, the status, every config.rejected event and its webhooks.
  test("the first 20 YAML errors, in line order, then how many more", async () => {
    // A key written 26 times: 25 errors, at lines 3 to 27.
    const name = writeConfig(["server:", ...Array.from({ length: 26 }, (_, i) => `  port: ${8000 + i}`)]);
    const first = Array.from(
      { length: 20 },
      (_, i) => `${name}:${i + 3}:3: not valid YAML: Map keys must be unique`,
    );
    expect(await checked(name)).toEqual([...first, "… and 5 more YAML errors"]);
  });

  test("the first 20 schema problems, in line order, then how many more", async () => {
    const name = writeConfig(["server:", ...Array.from({ length: 22 }, (_, i) => `  unknown${i}: 1`)]);
    const first = Array.from(
      { length: 20 },
      (_, i) => `${name}:${i + 2}:3: server.unknown${i}: unknown field`,
    );
    expect(await checked(name)).toEqual([...first, "… and 2 more problems"]);
  });
});

describe("at a reload", () => {
  test("a refused edit is said as at start: the file as given (relative), placed, in line order", async () => {
    const name = "gw.yaml";
    const path = join(fx.dir, name);
    const valid = [
      "storage: { path: gw.db }",
      "providers: [{ name: mock, type: mock }]",
      "models: [{ name: m, routes: [{ provider: mock, model: m }] }]",
    ];
    writeFileSync(path, `${valid.join("\n")}\n`);
    const gw = await fx.spawn({ dir: fx.dir, configPath: name });
    const lastReloadError = async (): Promise<string | null> => {
      const response = await fetch(`${gw.url}/admin/api/status`, {
        headers: { authorization: `Bearer ${gw.adminKey}` },
      });
      const body = (await response.json()) as { config: { lastReloadError: string | null } };
      return body.config.lastReloadError;
    };
    for (const lines of [BROKEN_YAML, MISORDERED_FIELDS]) {
      // What config check says of the same text, then the same text given to the running gateway.
      writeFileSync(join(fx.dir, "edit.yaml"), `${lines.join("\n")}\n`);
      const atStart = (await checked("edit.yaml")).map((line) => line.replace("edit.yaml:", `${name}:`));
      const before = await lastReloadError();
      renameSync(join(fx.dir, "edit.yaml"), path);
      gw.proc.kill("SIGHUP");
      const refused = await waitFor(
        "the edit's rejection in the status",
        async () => {
          const error = await lastReloadError();
          return error !== null && error !== before ? error : undefined;
        },
        30_000,
      );
      expect(refused.split("\n")).toEqual(atStart);
    }
  });
});
