import { Database } from "bun:sqlite";
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { makeRecord } from "../../src/audit/audit-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";

// Real processes on a shared 2-core machine: generous bounds.
setDefaultTimeout(60_000);

// `mindgw audit import` adds a row's cost to the totals the gateway counted it to. With a model
// scoped to a tenant (`models[].tenant`), a caller outside every tenant (`default`) is bound by
// rules that hide that model (tenants/bind-tenant.ts), and the gateway counts its spend to
// `default`'s day and month too; the import must read `models:` to know it, where reading the
// config's store alone added the key's total only.

const dir = tempDir("mindgw-import-tenant-spend-");
afterAll(() => dir.cleanup());

const config = dir.file("gw.yaml");
writeFileSync(
  config,
  [
    "storage: { path: ./gw.db }",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: config text with a ${VAR} reference
    "providers: [{ name: up, type: openai, base_url: 'http://127.0.0.1:1/v1', api_key: '${UP_KEY}' }]",
    "models:",
    "  - { name: m, routes: [{ provider: up, model: m }] }",
    "  - { name: private, tenant: team-a, routes: [{ provider: up, model: private }] }",
    "tenants: [{ name: team-a }]",
    "",
  ].join("\n"),
);

// 2023-11-14T22:13:20Z, a request of a key outside every tenant.
const row = makeRecord({ requestId: "outsider", keyId: "key_abc", tenant: "default", costUsd: 0.5 });

test("a default caller's cost goes to its key and to default's day and month, as the gateway counted it", async () => {
  // The store made first, as an import takes only a gateway's file.
  const made = await runMindgw(["keys", "create", "--name", "first", "-c", config], {
    env: { UP_KEY: "sk-x" },
  });
  expect(made.code).toBe(0);
  const file = dir.file("rows.ndjson");
  writeFileSync(file, `${JSON.stringify(row)}\n`);
  const imported = await runMindgw(["audit", "import", file, "-c", config], { env: { UP_KEY: "sk-x" } });
  expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: "" });
  expect(imported.stdout).toStartWith(
    "imported 1 rows, 0 already stored; their cost, $0.5000, added to 3 spend totals",
  );
  const db = new Database(dir.file("gw.db"), { readonly: true });
  try {
    const totals = db.query<{ principal: string; usd: number }, []>(
      "SELECT principal, spend_usd AS usd FROM key_spend ORDER BY principal",
    );
    expect(totals.all()).toEqual([
      { principal: "key_abc", usd: 0.5 },
      { principal: "tenant:default:2023-11", usd: 0.5 },
      { principal: "tenant:default:2023-11-14", usd: 0.5 },
    ]);
  } finally {
    db.close();
  }
});

test("adding spend reads the whole file, its upstream's variables too; --no-spend reads the store alone", async () => {
  const file = dir.file("more-rows.ndjson");
  writeFileSync(file, `${JSON.stringify({ ...row, requestId: "another" })}\n`);
  const unset = { UP_KEY: undefined };
  const refused = await runMindgw(["audit", "import", file, "-c", config], { env: unset });
  expect([refused.code, refused.stderr]).toEqual([
    2,
    expect.stringContaining("providers[0].api_key: environment variable UP_KEY is not set"),
  ]);
  // The way on said with it: the whole file is read for the spend, which --no-spend leaves.
  expect(refused.stderr).toContain(
    "adding spend reads the whole config (load the service's environment file), or use --no-spend",
  );
  const help = await runMindgw(["audit", "import", "--help"]);
  expect(help.stdout.replaceAll(/\s+/g, " ")).toContain(
    "Adding spend reads the whole config, as serve does: load the service's environment file",
  );
  const unspent = await runMindgw(["audit", "import", file, "-c", config, "--no-spend"], { env: unset });
  expect({ code: unspent.code, stderr: unspent.stderr }).toEqual({ code: 0, stderr: "" });
  expect(unspent.stdout).toStartWith("imported 1 rows, 0 already stored; spend not added (--no-spend)");
});
