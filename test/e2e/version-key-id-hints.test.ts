import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Real processes on a shared 2-core machine: generous bounds.
setDefaultTimeout(60_000);

const dir = tempDir("mindgw-cli-hints-");
afterAll(() => dir.cleanup());

test("mindgw -v, --version and version print one line alike: the release and the Bun it runs on", async () => {
  const said = await Promise.all([["version"], ["-v"], ["--version"]].map((args) => runMindgw(args)));
  expect(said.map((result) => result.code)).toEqual([0, 0, 0]);
  const [version] = said;
  expect(version?.stdout).toMatch(/^mindgw \d+\.\d+\.\d+\+[0-9a-f]{7,}(-dirty)? \(bun \d+\.\d+\.\d+\)\n$/);
  expect(said.map((result) => result.stdout)).toEqual(Array(3).fill(version?.stdout));
});

test("shadow report --key-id given a name (no key_… or jwt: id) that matches nothing says it reads as a name", async () => {
  const config = dir.file("gw.yaml");
  writeFileSync(config, `storage: { path: ${dir.file("gw.db")} }\n`);
  expect((await runMindgw(["keys", "create", "--name", "carol", "-c", config])).code).toBe(0);
  const hint =
    "mindgw: --key-id carol is no caller's id (a key's key_…, a JWT caller's jwt:<tenant>:<name>) but reads as a name, which --key-id never matches; `mindgw keys show carol` prints that key's id\n";
  const table = await runMindgw(["shadow", "report", "--key-id", "carol", "-c", config]);
  expect([table.code, table.stdout, table.stderr]).toEqual([0, "no shadow pairs match this filter\n", hint]);
  const json = await runMindgw(["shadow", "report", "--json", "--key-id", "carol", "-c", config]);
  expect([json.code, JSON.parse(json.stdout).records, json.stderr]).toEqual([0, [], hint]);
  // An id that matches nothing is an answer, said as before.
  const id = await runMindgw(["shadow", "report", "--key-id", "key_none", "-c", config]);
  expect([id.code, id.stdout, id.stderr]).toEqual([0, "no shadow pairs match this filter\n", ""]);
});
