import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Real processes on a shared 2-core machine: generous bounds.
setDefaultTimeout(60_000);

// `keys list --tenant nope` and `audit query --tenant nope` printed nothing, exit 0, as for a
// configured tenant with no key or row: a mistyped tenant read as an empty one. A name neither configured nor on any key listed gets a
// note on stderr; stdout and the exit are as before (a tenant removed from the config, or a JWT
// tenant, is a name an operator may rightly ask about), and a configured one says nothing.

const dir = tempDir("mindgw-unknown-tenant-note-");
afterAll(() => dir.cleanup());

const config = dir.file("gw.yaml");
writeFileSync(config, `storage: { path: ${dir.file("gw.db")} }\ntenants:\n  - name: acme\n  - name: beta\n`);

test("keys list --tenant naming no configured tenant and no key notes it on stderr, exit 0", async () => {
  const made = await runMindgw(["keys", "create", "--name", "alice", "--tenant", "acme", "-c", config]);
  expect(made.code).toBe(0);
  for (const json of [false, true]) {
    const args = ["keys", "list", "--tenant", "nope", "-c", config, ...(json ? ["--json"] : [])];
    const out = await runMindgw(args);
    expect({ code: out.code, stderr: out.stderr.trim() }).toEqual({
      code: 0,
      stderr:
        "mindgw: no active key is in tenant nope, and no tenant of that name is configured (tenants: acme, beta): is --tenant right?",
    });
    if (json) expect(JSON.parse(out.stdout)).toEqual({ keys: [] });
  }
  const all = await runMindgw(["keys", "list", "--all", "--tenant", "nope", "-c", config]);
  expect(all.stderr.trim()).toBe(
    "mindgw: no key is in tenant nope, and no tenant of that name is configured (tenants: acme, beta): is --tenant right?",
  );
});

test("a configured tenant with no key, or one with keys, says nothing on stderr", async () => {
  for (const tenant of ["beta", "acme"]) {
    const out = await runMindgw(["keys", "list", "--tenant", tenant, "-c", config]);
    expect({ tenant, code: out.code, stderr: out.stderr }).toEqual({ tenant, code: 0, stderr: "" });
  }
});

const fx = gatewayFixture({ models: ["m1"], config: { tenants: [{ name: "team-a" }] } });

test("through --gateway alike: the gateway's configured tenants name it", async () => {
  const out = await runMindgw([
    "keys",
    "list",
    "--tenant",
    "nope",
    "--gateway",
    fx.gw.url,
    "--admin-key",
    fx.adminKey,
  ]);
  expect({ code: out.code, stderr: out.stderr.trim() }).toEqual({
    code: 0,
    stderr:
      "mindgw: no active key is in tenant nope, and no tenant of that name is configured (tenants: team-a): is --tenant right?",
  });
  const known = await runMindgw([
    "keys",
    "list",
    "--tenant",
    "team-a",
    "--gateway",
    fx.gw.url,
    "--admin-key",
    fx.adminKey,
  ]);
  expect({ code: known.code, stderr: known.stderr }).toEqual({ code: 0, stderr: "" });
});

test("audit query --tenant naming no configured tenant notes it when no row matched, exit 0", async () => {
  const out = await runMindgw(["audit", "query", "--tenant", "nope", "-c", config]);
  expect({ code: out.code, stderr: out.stderr.trim() }).toEqual({
    code: 0,
    stderr:
      "mindgw: no audit row matched --tenant nope, and no tenant of that name is configured (tenants: acme, beta): is --tenant right?",
  });
  const known = await runMindgw(["audit", "query", "--tenant", "beta", "-c", config]);
  expect({ code: known.code, stderr: known.stderr }).toEqual({ code: 0, stderr: "" });
  const remote = await runMindgw(["audit", "query", "--json", "--tenant", "nope", "--gateway", fx.gw.url], {
    env: { MINDGW_ADMIN_KEY: fx.adminKey },
  });
  expect({ code: remote.code, stdout: remote.stdout, stderr: remote.stderr.trim() }).toEqual({
    code: 0,
    stdout: "",
    stderr:
      "mindgw: no audit row matched --tenant nope, and no tenant of that name is configured (tenants: team-a): is --tenant right?",
  });
});
