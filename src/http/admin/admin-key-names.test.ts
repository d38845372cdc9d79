import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";
import { runCliCaptured } from "../../testing/run-cli-captured.ts";

// A key's name, tenant and model globs with a control character, as an operator meets the refusal:
// the admin API's 400 in its JSON error shape naming the field, `mindgw keys` exit 2 in the same
// words (auth/key-admin-names.test.ts: every field and character).

const dir = mkdtempSync(join(tmpdir(), "mindgw-key-names-"));
const WORDS = "may not hold a control character (U+0000–U+001F, U+007F–U+009F)";
let gateway: Gateway;
let adminKey = "";

beforeAll(async () => {
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({ storage: { path: join(dir, "keys.db") }, providers: [], models: [] }),
  ));
});
afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const post = (path: string, body: object) => callAs(gateway, adminKey, "POST", path, body);

const keyCount = async () => {
  const listed = await gateway.handle(
    new Request("http://localhost/admin/api/keys", { headers: { authorization: `Bearer ${adminKey}` } }),
  );
  return ((await listed.json()) as { keys: object[] }).keys.length;
};

test("POST /admin/api/keys with a NUL in the name, an ESC in the tenant or a LF in a glob: 400 naming the field, no key made", async () => {
  const cases: Array<[object, string]> = [
    [{ name: "a\u0000b" }, "name"],
    [{ name: "alice", tenant: "acme\u001b[2J" }, "tenant"],
    [{ name: "alice", models: ["gpt-*\n"] }, "models.0"],
  ];
  for (const [body, param] of cases) {
    const answer = await post("/admin/api/keys", body);
    expect([answer.status, await answer.json()]).toEqual([
      400,
      {
        error: {
          message: `${param}: ${WORDS}`,
          type: "invalid_request_error",
          param,
          code: "invalid_request",
        },
      },
    ]);
  }
  expect(await keyCount()).toBe(1); // the bootstrap admin
});

test("mindgw keys create -c with a control character in --name or --tenant: exit 2 in the API's words naming the flag", async () => {
  const config = join(dir, "cli.yaml");
  writeFileSync(config, `storage: { path: ${join(dir, "cli.db")} }\nproviders: []\nmodels: []\n`);
  for (const [flag, value] of [
    ["--name", "bad\u0007bell"],
    ["--tenant", "acme\r"],
  ] as const) {
    const args = flag === "--name" ? [flag, value] : ["--name", "alice", flag, value];
    const run = await runCliCaptured(["keys", "create", ...args, "-c", config]);
    expect([run.code, run.stdout, run.stderr]).toEqual([2, "", `mindgw: ${flag}: ${WORDS}\n`]);
  }
});

test("mindgw keys create --gateway with a control character in --name: exit 2 in the API's words naming the flag, nothing made", async () => {
  const { port } = gateway.listen("127.0.0.1", 0);
  const url = `http://127.0.0.1:${port}`;
  const run = await runCliCaptured([
    "keys",
    "create",
    "--name",
    "bad\u001b[2J",
    "--gateway",
    url,
    "--admin-key",
    adminKey,
  ]);
  expect([run.code, run.stdout]).toEqual([2, ""]);
  expect(run.stderr).toContain(`--name: ${WORDS}\n`);
  expect(await keyCount()).toBe(1); // the bootstrap admin
});
