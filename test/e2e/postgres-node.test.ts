/**
 * One `mindgw serve` on PostgreSQL instead of SQLite (no cluster; harness/postgres-node-fixture.ts):
 * the scenarios of cluster.test.ts that mean something for one node — exact limits, revocation, a
 * tenant's reads held to its own rows — through the compiled binary, and the local CLI (`keys`,
 * `audit`, `tenants`, `shadow report`) working on the same database. Its stored responses, upgrades,
 * bootstrap race and busy pool: postgres-node-storage.test.ts; a worker, `kill -9` of the node and
 * PostgreSQL restarted under load: postgres-node-worker.test.ts.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import OpenAI from "openai";
import type { ShadowPage } from "../../src/shadow/shadow-api-schema.ts";
import type { TenantReport } from "../../src/tenants/tenant-usage.ts";
import { auditRecords, auditRow, createKey } from "./harness/admin-api.ts";
import { burst, chatAt } from "./harness/node-load.ts";
import { postgresNodeFixture } from "./harness/postgres-node-fixture.ts";
import { startRedis } from "./harness/redis-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { waitFor } from "./harness/wait-for.ts";

const pg = postgresNodeFixture({ worker: false });
const { fx, chat, admin, adminGet } = pg;

test("first start on an empty database prints the admin key; requests are served and audited there", async () => {
  expect(fx.adminKey).toMatch(/^mgw_/);
  const client = new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: fx.adminKey });
  const answer = await client.chat.completions.create(
    { model: "mock", messages: [{ role: "user", content: "hi" }] },
    { headers: { "x-request-id": "pg-one" } },
  );
  expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
  // The local CLI reads the same database the gateway writes.
  // A failed run ends the wait, to be asserted once after it.
  const read = await waitFor("the audit row through `mindgw audit query -c`", async () => {
    const result = await runMindgw(["audit", "query", "-c", fx.gw.configPath, "--json"]);
    return (result.code !== 0 || result.stdout.includes('"requestId":"pg-one"')) && result;
  });
  expect(read.code).toBe(0);
  expect(read.stdout).toContain('"status":200');
});

test("rpm is exact on PostgreSQL: 200 concurrent requests, limit 50", async () => {
  const { key } = await createKey(admin(), { name: "fifty", rpm: 50 });
  const statuses = await burst(200, () => chat(key));
  expect(statuses.filter((s) => s === 200).length).toBe(50);
  expect(statuses.filter((s) => s === 429).length).toBe(150);
}, 60_000);

test("rpm is exact on one node with PostgreSQL and Redis: 200 concurrent requests, limit 50", async () => {
  const redis = fx.own(await startRedis());
  const solo = await fx.startNode({
    name: "solo",
    databaseUrl: await pg.postgres.createDatabase("with-redis"),
    redisUrl: redis.url,
  });
  const { key } = await createKey({ url: solo.url, adminKey: solo.adminKey }, { name: "fifty", rpm: 50 });
  const statuses = await burst(200, () => chatAt(solo.url, key));
  expect(statuses.filter((s) => s === 200).length).toBe(50);
  expect(statuses.filter((s) => s === 429).length).toBe(150);
  await solo.stop();
}, 60_000);

test("an rpm PostgreSQL's INTEGER column cannot hold is a 400 naming rpm, and `mindgw keys create` exits 2, where the store refused it as a 503 'try again later'", async () => {
  const post = (path: string, body: object) =>
    fetch(`${fx.gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const said = async (response: Response) => [
    response.status,
    ((await response.json()) as { error: { message: string } }).error.message,
  ];
  const tooMany = "rpm: at most 2147483647 (leave it out for no limit)";
  expect(await said(await post("/admin/api/keys", { name: "huge", rpm: 2_147_483_648 }))).toEqual([
    400,
    tooMany,
  ]);
  // The most it holds is stored.
  const { id } = await createKey(admin(), { name: "huge", rpm: 2_147_483_647 });
  expect(await said(await post(`/admin/api/keys/${id}/limits`, { rpm: 2_147_483_648 }))).toEqual([
    400,
    tooMany,
  ]);
  for (const target of [
    ["-c", fx.gw.configPath],
    ["--gateway", fx.gw.url, "--admin-key", fx.adminKey],
  ]) {
    const cli = await runMindgw(["keys", "create", ...target, "--name", "huge-cli", "--rpm", "2147483648"]);
    expect({ target: target[0], code: cli.code, said: cli.stderr.includes("at most 2147483647") }).toEqual({
      target: target[0],
      code: 2,
      said: true,
    });
  }
});

test("a key revoked through the admin API is refused at once", async () => {
  const { key, id } = await createKey(admin(), { name: "doomed" });
  expect((await chat(key)).status).toBe(200);
  const revoked = await fetch(`${fx.gw.url}/admin/api/keys/${id}/revoke`, {
    method: "POST",
    headers: { authorization: `Bearer ${fx.adminKey}` },
  });
  expect(revoked.status).toBe(200);
  // One node: the revocation is in its own cache before the admin call answers.
  expect((await chat(key)).status).toBe(401);
});

test("a tenant's member reads only its tenant's audit rows from PostgreSQL; asking for another tenant's is refused 403", async () => {
  const memberA = (await createKey(admin(), { name: "member-a", tenant: "team-a" })).key;
  const memberB = (await createKey(admin(), { name: "member-b", tenant: "team-b" })).key;
  const requestOf = async (key: string) => {
    const response = await chat(key);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    return response.headers.get("x-request-id") ?? "";
  };
  const [a, b] = [await requestOf(memberA), await requestOf(memberB)];
  await auditRow(admin(), a);
  await auditRow(admin(), b);
  for (const filters of [{}, { tenant: "team-a" }] as Record<string, string>[]) {
    const rows = await auditRecords({ url: fx.gw.url, adminKey: memberA }, filters);
    expect(rows.map((r) => r.requestId)).toContain(a);
    expect(rows.filter((r) => r.tenant !== "team-a")).toEqual([]);
  }
  for (const path of ["/admin/api/audit?tenant=team-b", "/admin/api/audit/export?tenant=team-b"]) {
    const refused = await fetch(`${fx.gw.url}${path}`, { headers: { authorization: `Bearer ${memberA}` } });
    expect(refused.status).toBe(403);
    expect(await refused.text()).not.toContain(b);
  }
  const exported = await fetch(`${fx.gw.url}/admin/api/audit/export`, {
    headers: { authorization: `Bearer ${memberA}` },
  });
  const text = await exported.text();
  expect(text).toContain(a);
  expect(text).not.toContain(b);
  const everyone = (await auditRecords(admin())).map((r) => r.requestId);
  expect(everyone).toEqual(expect.arrayContaining([a, b]));
});

test("`mindgw keys create -c` on PostgreSQL: the running gateway accepts the key; revoked locally, it is refused within the key cache's refresh", async () => {
  const created = await runMindgw([
    "keys",
    "create",
    "-c",
    fx.gw.configPath,
    "--name",
    "pg-user",
    "--role",
    "user",
    "--json",
  ]);
  expect(created.code).toBe(0);
  const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };
  await waitFor("the new key to work", async () => (await chat(key)).status === 200);
  expect((await runMindgw(["keys", "revoke", "-c", fx.gw.configPath, id])).code).toBe(0);
  // The CLI writes the database only (no Redis to announce it): DEPLOYMENT.md promises the node
  // refuses the key within its key cache's refresh (2 s) plus one store query.
  await waitFor("the revoked key to be refused", async () => (await chat(key)).status === 401, 2_500, 10);
});

test("`mindgw tenants -c` and `mindgw shadow report -c` read the PostgreSQL the config names, never the SQLite file left beside it", async () => {
  // A store from before the move to PostgreSQL, at the config's storage.path (its default,
  // ./data/mindgw.db beside the config): one key of team-a, no request, no shadow pair.
  const stalePath = join(dirname(fx.gw.configPath), "data/mindgw.db");
  const staleConfig = join(dirname(fx.gw.configPath), "stale-sqlite.yaml");
  await Bun.write(staleConfig, `storage: { path: ${stalePath} }\ntenants: [{ name: team-a }]\n`);
  const stale = await runMindgw([
    "keys",
    "create",
    "-c",
    staleConfig,
    "--name",
    "stale",
    "--tenant",
    "team-a",
  ]);
  expect(stale.code).toBe(0);
  const staleBytes = readFileSync(stalePath);

  const { key } = await createKey(admin(), { name: "tenant-report", tenant: "team-a" });
  const answered = await chat(key, { model: "shadowed", id: "pg-shadowed" });
  expect(answered.status).toBe(200);
  await answered.arrayBuffer();
  await auditRow(admin(), "pg-shadowed");
  const gatewayTenants = await waitFor("the shadow pair to be stored", async () => {
    const page = await adminGet<ShadowPage>("/admin/api/shadow");
    return page.records.some((r) => r.requestId === "pg-shadowed")
      ? (await adminGet<{ tenants: TenantReport[] }>("/admin/api/tenants")).tenants
      : undefined;
  });

  // The same figures as the gateway's, read from the same database.
  const tenants = await runMindgw(["tenants", "-c", fx.gw.configPath, "--json"]);
  expect(tenants).toMatchObject({ code: 0, stderr: "" });
  const local = (JSON.parse(tenants.stdout) as { tenants: TenantReport[] }).tenants;
  expect(local).toEqual(gatewayTenants);
  const teamA = local.find((t) => t.name === "team-a");
  expect(teamA?.usage.requests).toBeGreaterThan(0);

  const report = await runMindgw(["shadow", "report", "-c", fx.gw.configPath, "--json"]);
  expect(report).toMatchObject({ code: 0, stderr: "" });
  const page = JSON.parse(report.stdout) as ShadowPage;
  expect(page.records.map((r) => r.requestId)).toContain("pg-shadowed");
  expect(page.aggregates).toEqual((await adminGet<ShadowPage>("/admin/api/shadow")).aggregates);
  const table = await runMindgw(["shadow", "report", "-c", fx.gw.configPath]);
  expect(table.stdout).toMatch(/^shadowed\s+\d+/m);
  // The SQLite file was not opened for writing (its migrations) nor changed.
  expect(readFileSync(stalePath).equals(staleBytes)).toBe(true);
});
