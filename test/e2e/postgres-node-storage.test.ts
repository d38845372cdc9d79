/**
 * One `mindgw serve` on PostgreSQL (harness/postgres-node-fixture.ts, split from
 * postgres-node.test.ts): Responses chains across a restart, rows an upgrade left to fill, nodes
 * racing to bootstrap one database, and a pool kept busy by another session's lock.
 */
import { expect, test } from "bun:test";
import { SQL } from "bun";
import OpenAI from "openai";
import type { ShadowPage } from "../../src/shadow/shadow-api-schema.ts";
import { holdBackfill, writeDatabaseToBackfill } from "../../src/storage/postgres/backfill-fixture.ts";
import { responseItemBackfill } from "../../src/storage/postgres/postgres-item-backfill.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { chatAt } from "./harness/node-load.ts";
import { ownNodeConfig, postgresNodeFixture } from "./harness/postgres-node-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

const pg = postgresNodeFixture({ worker: false });
const { fx } = pg;

test("a Responses chain is stored in PostgreSQL, continued after a restart of the gateway, read back and deleted", async () => {
  const client = () => new OpenAI({ baseURL: `${fx.gw.url}/v1`, apiKey: fx.adminKey });
  const first = await client().responses.create({ model: "mock", input: "remember 7", store: true });
  await waitFor("the response to be stored", () =>
    client()
      .responses.retrieve(first.id)
      .then(() => true)
      .catch(() => false),
  );
  await fx.restart();
  const second = await client().responses.create({
    model: "mock",
    input: "and?",
    previous_response_id: first.id,
    store: true,
  });
  expect(second.status).toBe("completed");
  const read = await waitFor("the second response to read back", () =>
    client()
      .responses.retrieve(second.id)
      .catch(() => undefined),
  );
  expect(read.id).toBe(second.id);
  expect((await client().responses.retrieve(first.id)).id).toBe(first.id);
  // The SDK's delete resolves to nothing on success; a deleted response is the SDK's 404.
  await client().responses.delete(first.id);
  const gone = await client()
    .responses.retrieve(first.id)
    .then(() => null)
    .catch((error: unknown) => error);
  expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
}, 60_000);

test("a node on a database whose rows an upgrade left to fill answers at once, finds those rows meanwhile, then fills them in the background and logs it with counts", async () => {
  const url = await pg.postgres.createDatabase("backfill");
  await writeDatabaseToBackfill(url, 1_200, 50);
  // Another node's batch, as it were, holds the item index's backfill at its first batch.
  const held = await holdBackfill(url, responseItemBackfill.mark);
  fx.deferTest(() => held.release());
  const node = await fx.spawn({ config: ownNodeConfig(url) });
  const logged = (pattern: RegExp) => pattern.test(node.stderr.all);
  await waitFor("the backfill to start", () => logged(/backfill of stored responses' item index started/));
  expect(node.stderr.all).toMatch(/backfill of stored responses' item index started .*rows=1200/);
  const key = node.adminKey ?? "";
  expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  expect((await chatAt(node.url, key)).status).toBe(200);
  // The older pairs not yet given their caller's column are found by it all the same.
  const page = (await (
    await fetch(`${node.url}/admin/api/shadow?key_id=key_ci&limit=100`, {
      headers: { authorization: `Bearer ${key}` },
    })
  ).json()) as ShadowPage;
  expect(page.records).toHaveLength(49);
  expect(logged(/item index done/)).toBe(false);
  await held.release();
  await waitFor("the backfills to end", () => logged(/backfill of shadow pairs' caller ids done/));
  expect(node.stderr.all).toMatch(/backfill of stored responses' item index done .*rows=1200/);
  expect(node.stderr.all).toMatch(/backfill of shadow pairs' caller ids started .*rows=50/);
  expect(node.stderr.all).toMatch(/backfill of shadow pairs' caller ids done .*rows=50/);
  const sql = new SQL({ url, max: 1 });
  try {
    expect(await sql`SELECT count(*)::int AS n FROM stored_response_items`).toEqual([{ n: 1_200 }]);
    expect(await sql`SELECT count(*)::int AS n FROM shadow_pairs WHERE key_id IS NULL`).toEqual([{ n: 0 }]);
  } finally {
    await sql.close();
  }
  expect(await node.stop()).toBe(0);
}, 60_000);

test("three nodes started at the same moment on an empty database create one admin key, printed by one of them", async () => {
  // The race was lost only some of the time (2 keys in 2 of 4 starts): rounds, each on a database of its own.
  for (let round = 1; round <= 6; round++) {
    const url = await pg.postgres.createDatabase(`bootstrap-race-${round}`);
    const nodes = await Promise.all([1, 2, 3].map(() => fx.spawn({ config: ownNodeConfig(url) })));
    expect(nodes.filter((node) => node.adminKey !== null).length).toBe(1);
    const sql = new SQL({ url, max: 1 });
    const [row] = await sql`SELECT count(*)::int AS n FROM api_keys WHERE role = 'admin'`;
    await sql.close();
    expect((row as { n: number }).n).toBe(1);
    await Promise.all(nodes.map((node) => node.stop()));
  }
}, 120_000);

test("two gateways started at once on one database (no cluster.secret) seal with one secret, made once: a tenant reader's cursor from one pages on at the other", async () => {
  const url = await pg.postgres.createDatabase("seal-secret-race");
  const config = ownNodeConfig(url, { tenants: [{ name: "team-a" }] });
  const [one, two] = await Promise.all([1, 2].map(() => fx.spawn({ config })));
  if (!one || !two) throw new Error("two gateways were started");
  const admin = { url: one.url, adminKey: one.adminKey ?? two.adminKey };
  const reader = await createKey(admin, { name: "reader", tenant: "team-a" });
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const answer = await chatAt(one.url, reader.key);
    expect(answer.status).toBe(200);
    await answer.arrayBuffer();
    ids.push(answer.headers.get("x-request-id") ?? "");
  }
  for (const id of ids) await auditRow(admin, id);
  type Page = { records: { requestId: string }[]; nextCursor: string | null };
  const query = `/admin/api/audit?key=${reader.id}&limit=1`;
  const read = async (at: string, cursor?: string) => {
    const res = await fetch(`${at}${query}${cursor === undefined ? "" : `&cursor=${cursor}`}`, {
      headers: { authorization: `Bearer ${reader.key}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };
  const first = await read(one.url);
  expect(first.records.map((r) => r.requestId)).toEqual([ids[1] ?? ""]);
  const older = await read(two.url, first.nextCursor ?? "");
  expect([older.records.map((r) => r.requestId), older.nextCursor]).toEqual([[ids[0] ?? ""], null]);
  const sql = new SQL({ url, max: 1 });
  const [row] = await sql`SELECT count(*)::int AS n FROM seal_secret`;
  await sql.close();
  expect((row as { n: number }).n).toBe(1);
}, 120_000);

test("a busy pool: calls beyond it get 503 storage_unavailable within the bound, not a reset, and their rows say so", async () => {
  const url = await pg.postgres.createDatabase("busy-pool");
  // Store calls are bounded a second under the idle timeout (4 s here, under the least, 5 s), not
  // statement_timeout (30 s).
  const node = await fx.spawn({
    config: ownNodeConfig(url, {
      server: { idle_timeout: "5s" },
      storage: { driver: "postgres", url, pool: 2, sslmode: "disable", connect_timeout: "1s" },
    }),
  });
  const key = node.adminKey ?? "";
  const at = { url: node.url, adminKey: key };
  // The key is in the node's cache before the database is busy.
  expect((await chatAt(node.url, key)).status).toBe(200);

  // Another session holds the tables every call below needs, until all are answered (or 20 s,
  // a safety: calls that waited for the lock would be answered only after it is gone).
  const locker = new SQL({ url, max: 1 });
  let answeredAll = () => {};
  const allAnswered = new Promise<void>((resolve) => {
    answeredAll = resolve;
  });
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  let released = false;
  const held = locker.begin(async (tx) => {
    await tx`LOCK TABLE stored_responses, api_keys IN ACCESS EXCLUSIVE MODE`;
    locked();
    await Promise.race([allAnswered, Bun.sleep(20_000)]);
    released = true;
  });
  await isLocked;
  const responses = (i: number) =>
    fetch(`${node.url}/v1/responses`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "x-request-id": `busy-${i}`,
      },
      body: JSON.stringify({ model: "mock", input: "hi", store: true }),
    });
  const keysList = () =>
    fetch(`${node.url}/admin/api/keys`, {
      headers: { authorization: `Bearer ${key}`, "x-request-id": "busy-keys" },
    });
  // Pool + 5 Responses calls (each stores its answer before it leaves) and an admin read.
  const sent = [...Array.from({ length: 7 }, (_, i) => responses(i)), keysList()].map((call) =>
    call.then(
      async (response) => ({ response, body: await response.text(), underLock: !released }),
      (error: unknown) => ({ reset: String(error) }),
    ),
  );
  const answers = await Promise.all(sent);
  answeredAll();
  await held;
  await locker.close();
  for (const answer of answers) {
    // Answered, never a reset socket, while the lock that held it was still there.
    if (!("response" in answer)) throw new Error(`no answer: ${answer.reset}`);
    expect(answer.underLock).toBe(true);
    expect(answer.response.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: "storage_unavailable" } });
  }
  // Each row says what its client got.
  for (const answer of answers) {
    if (!("response" in answer)) continue;
    const id = answer.response.headers.get("x-request-id") ?? "";
    const row = await auditRow(at, id);
    expect(row).toMatchObject({ status: 503, errorClass: "storage_unavailable" });
  }
}, 60_000);
