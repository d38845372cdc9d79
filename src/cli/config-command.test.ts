import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MOST_PROBLEMS } from "../config/config-error.ts";
import { type CliRun, runCliCaptured } from "../testing/run-cli-captured.ts";

const dir = mkdtempSync(join(tmpdir(), "mindgw-config-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `mindgw config check -c <file holding text>`: its exit code and what it wrote to each stream. */
function configCheck(text: string): Promise<CliRun> {
  const path = join(dir, "gw.yaml");
  writeFileSync(path, text);
  return runCliCaptured(["config", "check", "-c", path]);
}

describe("mindgw config check", () => {
  test("what the YAML library parses but warns of is said on stderr, with its place; the config still valid", async () => {
    // A tag of another tool's (`!env`) is no tag here: the key is the word itself, valid but not meant.
    const checked = await configCheck(
      [
        "providers:",
        "  - name: up",
        "    type: openai",
        "    base_url: http://127.0.0.1:9/v1",
        "    api_key: !env OPENAI_API_KEY",
        "models:",
        "  - { name: m, routes: [{ provider: up, model: x }] }",
        "",
      ].join("\n"),
    );
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(": valid\n");
    expect(checked.stderr).toContain(`warning: ${join(dir, "gw.yaml")}:5:14: Unresolved tag: !env\n`);
  });

  test("a config refused still has its YAML warnings said, which may be why it is refused", async () => {
    // `!env PORT` is the word "PORT", no number: the warning explains the refusal that follows.
    const checked = await configCheck("server:\n  port: !env PORT\nmodels: []\n");
    expect(checked.code).toBe(2);
    expect(checked.stderr).toContain(`warning: ${join(dir, "gw.yaml")}:2:9: Unresolved tag: !env\n`);
    expect(checked.stderr).toContain("server.port: Invalid input: expected number, received string");
  });

  test("a refused config names its file above the fields refused, each field with its line and column; a problem of the file itself names it once", async () => {
    const refused = await configCheck("server: { prot: 8080 }\n");
    expect([refused.code, refused.stderr]).toEqual([
      2,
      `invalid config: ${join(dir, "gw.yaml")}\n  ${join(dir, "gw.yaml")}:1:11: server.prot: unknown field\n`,
    ]);
    const empty = await configCheck("\n");
    expect([empty.code, empty.stderr]).toEqual([
      2,
      `invalid config:\n  ${join(dir, "gw.yaml")}: the file is empty\n`,
    ]);
  });

  test("YAML warnings are bounded as problems are: the first ones, then how many more", async () => {
    const tagged = Array.from({ length: 3_000 }, (_, i) => `k${i}: !foo x`);
    const checked = await configCheck(["server:", "  port: 8080", ...tagged, ""].join("\n"));
    const warnings = checked.stderr.split("\n").filter((line) => line.startsWith("warning: "));
    expect(warnings.length).toBe(MOST_PROBLEMS + 1);
    expect(warnings[0]).toBe(`warning: ${join(dir, "gw.yaml")}:3:5: Unresolved tag: !foo`);
    expect(warnings.at(-1)).toBe(`warning: … and ${3_000 - MOST_PROBLEMS} more warnings`);
  });

  test("a config the library has nothing to say of gets no YAML warning", async () => {
    const checked = await configCheck(
      "providers:\n  - { name: up, type: openai, base_url: 'http://127.0.0.1:9/v1' }\nmodels: []\n",
    );
    expect(checked.code).toBe(0);
    expect(checked.stderr).not.toContain("gw.yaml");
  });

  test("a weight on a model that is not weighted is warned of; a route without one prints none", async () => {
    const checked = await configCheck(
      [
        "providers: [{ name: demo, type: mock }]",
        "models:",
        "  - { name: m, routes: [{ provider: demo, model: a, weight: 3 }, { provider: demo, model: b }] }",
        "",
      ].join("\n"),
    );
    expect(checked.code).toBe(0);
    expect(checked.stderr).toContain(
      "warning: models[0] (m): routes[0].weight is read only under strategy: weighted, and its strategy is priority: it changes nothing;",
    );
    expect(checked.stdout.match(/weight:/g)).toHaveLength(1);
  });
});
