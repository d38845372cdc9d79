import { expect, test } from "bun:test";
import { adminGet, createKey, rowCount, withDb } from "./harness/audit-kit.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// audit.retention: rows older than it are pruned while the gateway runs (a pass every quarter
// of the retention, at least once a minute), newer rows are kept.
const fx = gatewayFixture({ fake: null, gateway: false });
let gw: GatewayProcess | undefined;

const chat = (g: GatewayProcess, id: string) =>
  fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${g.adminKey}`,
      "content-type": "application/json",
      "x-request-id": id,
    },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
  }).then((r) => r.status);

/** A request without a key, as any client may send: a 401 whose row carries its user agent. */
const anonymous = (g: GatewayProcess, userAgent: string) =>
  fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": userAgent,
      "x-request-id": `old-${userAgent}`,
    },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
  }).then((r) => r.status);

const agents = (path: string) =>
  withDb(path, (db) =>
    db
      .query<{ value: string }, []>("SELECT value FROM audit_strings WHERE value LIKE 'anon-%'")
      .all()
      .map((row) => row.value),
  );

const ids = (path: string) =>
  withDb(path, (db) =>
    db
      .query<{ request_id: string; started_at: number }, []>("SELECT request_id, started_at FROM audit_log")
      .all(),
  );

test("rows older than audit.retention are pruned, newer ones kept, and the user agents only they carried go too", async () => {
  gw = await fx.spawn({
    config: {
      providers: [{ name: "mock", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
      audit: { retention: "3s", flush_ms: 20 },
    },
  });
  const db = `${gw.dir}/mindgw.db`;
  for (let i = 0; i < 5; i++) expect(await chat(gw, `old-${i}`)).toBe(200);
  // Every distinct user agent is interned: without a sweep they outlived their rows for good.
  for (let i = 0; i < 20; i++) expect(await anonymous(gw, `anon-${i}`)).toBe(401);
  await waitFor("the old rows", () => rowCount(db) >= 25);
  expect(agents(db)).toHaveLength(20);
  // Wait until the old rows are past the retention (a condition on the clock), then add fresh ones.
  const oldWritten = Date.now();
  await waitFor("the old rows to pass the 3 s retention", () => Date.now() - oldWritten > 3100, 10_000, 50);
  for (let i = 0; i < 3; i++) expect(await chat(gw, `new-${i}`)).toBe(200);
  // The fresh rows in the file first: a pruning pass that runs before they are flushed must not
  // be read as "everything was pruned".
  await waitFor("the new rows", () => ids(db).filter((r) => r.request_id.startsWith("new-")).length === 3);
  const rows = await waitFor(
    "the old rows to be pruned",
    () => {
      const all = ids(db);
      return all.some((r) => r.request_id.startsWith("old-")) ? undefined : all;
    },
    15_000,
    100,
  );
  const cutoff = Date.now() - 3000;
  // Whatever remains is recent: nothing older than the retention (plus one pruning interval).
  for (const row of rows) expect(row.started_at).toBeGreaterThan(cutoff - 1000);
  expect(rows.some((r) => r.request_id.startsWith("new-"))).toBe(true);
  // The 401s' rows were pruned with the others; the values only they referred to go with them.
  await waitFor("the pruned rows' user agents to be deleted", () => agents(db).length === 0, 15_000, 100);
}, 40_000);

test("shadow pairs older than shadow.retention are pruned the same way, newer ones kept", async () => {
  gw = await fx.spawn({
    config: {
      providers: [
        { name: "mock", type: "mock" },
        { name: "mock-b", type: "mock" },
      ],
      models: [
        {
          name: "mock",
          routes: [{ provider: "mock", model: "mock" }],
          shadow: { provider: "mock-b", model: "mock", sample: 1 },
        },
      ],
      audit: { flush_ms: 20 },
      shadow: { retention: "3s" },
    },
  });
  const g = gw;
  const pairs = async () => {
    const res = await fetch(`${g.url}/admin/api/shadow?limit=500`, {
      headers: { authorization: `Bearer ${g.adminKey}` },
    });
    return ((await res.json()) as { records: { requestId: string; at: number }[] }).records;
  };
  for (let i = 0; i < 3; i++) expect(await chat(g, `old-pair-${i}`)).toBe(200);
  await waitFor("the old pairs", async () => (await pairs()).length >= 3);
  const oldWritten = Date.now();
  await waitFor("the old pairs to pass the 3 s retention", () => Date.now() - oldWritten > 3100, 10_000, 50);
  for (let i = 0; i < 2; i++) expect(await chat(g, `new-pair-${i}`)).toBe(200);
  // The new pairs are recorded (a flush after their calls) and kept; the old ones go.
  const kept = await waitFor(
    "the old pairs pruned and the new ones recorded",
    async () => {
      const all = await pairs();
      const fresh = all.filter((p) => p.requestId.startsWith("new-pair-"));
      return all.some((p) => p.requestId.startsWith("old-pair-")) || fresh.length < 2 ? undefined : all;
    },
    15_000,
    100,
  );
  const cutoff = Date.now() - 3000;
  for (const pair of kept) expect(pair.at).toBeGreaterThan(cutoff - 1000);
}, 40_000);

test("a tenant's spend and remaining budget outlive its pruned rows, as the budget enforced does; its requests count the rows kept", async () => {
  gw = await fx.spawn({
    config: {
      providers: [{ name: "mock", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
      // A dollar a token: one call spends the tenant's budget.
      prices: { mock: { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
      tenants: [{ name: "team", budget: { usd: 1, per: "month" } }],
      audit: { retention: "3s", flush_ms: 20 },
    },
  });
  const g = gw;
  const db = `${g.dir}/mindgw.db`;
  const { key } = await createKey(g, { name: "member", role: "user", tenant: "team" });
  const call = () =>
    fetch(`${g.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
    }).then(async (r) => [
      r.status,
      (JSON.parse(await r.text()) as { error?: { code: string } }).error?.code,
    ]);
  const team = async () =>
    (
      await adminGet<{
        tenants: { name: string; usage: { requests: number; costUsd: number }; remainingUsd: number }[];
      }>(g, "/admin/api/tenants")
    ).tenants.find((t) => t.name === "team");
  expect(await call()).toEqual([200, undefined]);
  expect(await call()).toEqual([429, "budget_exceeded"]);
  // Both calls' rows and the spend in the file (the ledger writes every second) before the first
  // read: the tenants' usage is read once for 5 s.
  const spent = () =>
    withDb(
      db,
      (d) =>
        d
          .query<{ s: number }, []>(
            "SELECT spend_usd AS s FROM key_spend WHERE principal LIKE 'tenant:team:%'",
          )
          .get()?.s ?? 0,
    );
  await waitFor("the rows and the spend", () => rowCount(db) >= 3 && spent() > 1);
  const charged = await team();
  expect(charged).toMatchObject({ usage: { requests: 2, costUsd: spent() }, remainingUsd: 0 });
  const pruned = await waitFor(
    "the tenant's rows to be pruned",
    async () => {
      const now = await team();
      return now?.usage.requests === 0 ? now : undefined;
    },
    15_000,
    100,
  );
  // The spend and what is left of the budget are still what the refusal is made on.
  expect(pruned).toMatchObject({ usage: { costUsd: spent() }, remainingUsd: 0 });
  expect(await call()).toEqual([429, "budget_exceeded"]);
}, 40_000);

test('audit.retention: 0 is refused, not read as "keep forever": config check and serve exit 2 naming it, a reload to it is rejected and the rows stay', async () => {
  // At 0 every row was deleted within 250 ms of its writing, and config check said nothing.
  const config = {
    providers: [{ name: "mock", type: "mock" }],
    models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
    audit: { flush_ms: 20 },
  };
  const refusal =
    'audit.retention: must be more than 0: every row would be deleted within a second of being written; 0 is not "keep forever"; leave it out for its default (31d), or write a longer duration';
  gw = await fx.spawn({ config });
  const g = gw;
  const db = `${g.dir}/mindgw.db`;
  for (let i = 0; i < 3; i++) expect(await chat(g, `kept-${i}`)).toBe(200);
  await waitFor("the rows", () => rowCount(db) >= 3);

  await g.writeConfig({ ...config, audit: { ...config.audit, retention: 0 } });
  const status = await waitFor("the reload rejected", async () => {
    const current = await adminGet<{ config: { lastReloadError: string | null } }>(g, "/admin/api/status");
    return current.config.lastReloadError ? current : undefined;
  });
  expect(status.config.lastReloadError).toContain(refusal);
  // The running config serves on, and keeps its rows.
  expect(await chat(g, "after")).toBe(200);
  await waitFor("the row of the call after", () => rowCount(db) >= 4);
  expect(ids(db).filter((row) => row.request_id.startsWith("kept-"))).toHaveLength(3);

  for (const args of [
    ["config", "check", "-c", g.configPath],
    ["serve", "-c", g.configPath, "--port", "0"],
  ]) {
    const refused = await runMindgw(args);
    expect({ args, code: refused.code }).toEqual({ args, code: 2 });
    expect(refused.stderr).toContain(refusal);
  }
  expect(rowCount(db)).toBeGreaterThanOrEqual(4);
}, 40_000);
