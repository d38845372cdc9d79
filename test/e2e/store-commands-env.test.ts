import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Real processes on a shared 2-core machine: generous bounds.
setDefaultTimeout(60_000);

// The commands that work on the store alone (`keys`, `audit`, `tenants`, `shadow report` with -c)
// run on the host where the gateway's secrets sit in its service's environment file
// (docs/DEPLOYMENT.md, "Secrets"), not in the operator's shell: they read the file's storage and
// tenants, so an upstream's `${UP_KEY}` left unset there is not theirs to refuse. What storage
// names must still be set, and is said by name.

const dir = tempDir("mindgw-store-env-");
afterAll(() => dir.cleanup());

/** A config whose provider's key and URL come from the environment, its store from `storage`. */
function configWith(name: string, storage: string): string {
  const path = dir.file(name);
  writeFileSync(
    path,
    [
      `storage: ${storage}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with ${VAR} references
      "providers: [{ name: up, type: openai, base_url: '${UP_URL}', api_key: '${UP_KEY}' }]",
      "models: [{ name: m, routes: [{ provider: up, model: m }] }]",
      "tenants: [{ name: team-a, budget: { usd: 5 }, shadow: { provider: up, model: m, sample: 1 } }]",
      "",
    ].join("\n"),
  );
  return path;
}

const unset = { UP_KEY: undefined, UP_URL: undefined, DB_DIR: undefined };

test("keys, audit, tenants and shadow report -c run with an upstream's variables unset", async () => {
  const config = configWith("gw.yaml", `{ path: ${dir.file("gw.db")} }`);
  const run = (...args: string[]) => runMindgw([...args, "-c", config], { env: unset });
  const created = await run("keys", "create", "--name", "first", "--tenant", "team-a", "--json");
  expect([created.code, created.stderr]).toEqual([0, expect.not.stringContaining("UP_KEY")]);
  for (const args of [["keys", "list"], ["audit", "query"], ["tenants"], ["shadow", "report"]]) {
    const result = await run(...args);
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: "" });
  }
  // The tenants it read are the file's: a tenant it does not list is still refused.
  const stranger = await run("keys", "create", "--name", "x", "--tenant", "team-b");
  expect([stranger.code, stranger.stderr]).toEqual([2, expect.stringContaining('"team-b"')]);
  // `config check` reads what `serve` runs on: every variable, the upstream's too.
  const check = await run("config", "check");
  expect([check.code, check.stderr]).toEqual([
    2,
    expect.stringContaining("environment variable UP_KEY is not set"),
  ]);
});

test("a variable storage names, unset, is still refused by name, and nothing else is", async () => {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with a ${VAR} reference
  const config = configWith("unset-store.yaml", "{ path: '${DB_DIR}/gw.db' }");
  const refused = await runMindgw(["keys", "list", "-c", config], { env: unset });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain("storage.path: environment variable DB_DIR is not set");
  expect(refused.stderr).not.toContain("UP_KEY");
});

test("a misspelt section is refused at its place, as config check refuses it; an x- key is read for anchors only", async () => {
  const misspelt = (name: string, lines: string[]) => {
    const folder = dir.file(name);
    mkdirSync(folder);
    writeFileSync(join(folder, "gw.yaml"), `${lines.join("\n")}\n`);
    return folder;
  };
  // `storag:` read as no storage made the key in data/mindgw.db beside the file, not where it says.
  const storag = misspelt("storag", [`storag: { path: ${dir.file("meant.db")} }`]);
  const clustr = misspelt("clustr", [
    `storage: { path: ${dir.file("clustered.db")} }`,
    "clustr: { redis_url: 'redis://127.0.0.1:1', advertise_url: 'http://10.0.0.7:8080' }",
  ]);
  for (const [folder, said] of [
    [storag, "gw.yaml:1:1: storag: unknown field"],
    [clustr, "gw.yaml:2:1: clustr: unknown field"],
  ] as const) {
    const config = join(folder, "gw.yaml");
    for (const args of [
      ["keys", "create", "--name", "a"],
      ["config", "check"],
    ]) {
      const result = await runMindgw([...args, "-c", config], { env: unset });
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({
        args,
        code: 2,
        stderr: expect.stringContaining(said),
      });
    }
    expect(existsSync(join(folder, "data"))).toBe(false);
  }
  const anchored = misspelt("anchored", [
    `x-store: &store { path: ${dir.file("anchored.db")} }`,
    "storage: *store",
  ]);
  const created = await runMindgw(["keys", "create", "--name", "a", "-c", join(anchored, "gw.yaml")], {
    env: unset,
  });
  expect([created.code, existsSync(dir.file("anchored.db"))]).toEqual([0, true]);
});
