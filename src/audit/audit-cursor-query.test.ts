import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tempDir } from "../../test/e2e/harness/temp-dir.ts";
import { parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { runCliCaptured } from "../testing/run-cli-captured.ts";
import { waitForValue } from "../testing/wait-for.ts";
import type { AuditPage } from "./audit-query.ts";

// A page's `nextCursor` goes on with the query that made it: the same order and the same filters.
// Given with another order, or another filter, it went on quietly from its row under the new query
// (a newest-first cursor read oldest first returned the rows after it in the other direction,
// neither the next page nor an error). Now such a cursor is refused: a 400 naming `cursor` from
// `/admin/api/audit`, an exit 2 naming `--cursor` from `mindgw audit query` (local or remote). The
// time bounds and the page size may change (`--since 1h` is another `from` at each run).

const dir = tempDir();
const dbPath = dir.file("mindgw.db");
const configPath = dir.file("mindgw.yaml");
let gateway: Gateway;
let adminKey = "";
let base = "";

beforeAll(async () => {
  writeFileSync(configPath, `storage: { path: ${JSON.stringify(dbPath)} }\n`);
  const recording = await recordingGateway(
    parseConfig({
      storage: { path: dbPath },
      audit: { flush_ms: 10 },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
  );
  gateway = recording.gateway;
  adminKey = recording.adminKey;
  base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  for (let i = 0; i < 6; i++) {
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: `hi ${i}` }] }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  }
  await waitForValue("the six rows stored", async () => {
    const page = await audit("model=mock&limit=10");
    return page.body.records.length === 6 ? page : undefined;
  });
});
afterAll(async () => {
  await gateway.stop();
  dir.cleanup();
});

async function audit(query: string): Promise<{ status: number; body: AuditPage & { error?: unknown } }> {
  const response = await fetch(`${base}/admin/api/audit?${query}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  return { status: response.status, body: (await response.json()) as AuditPage & { error?: unknown } };
}

/** The cursor after the first page of two rows of `query`. */
async function cursorOf(query: string): Promise<string> {
  const first = await audit(`${query}&limit=2`);
  expect(first.status).toBe(200);
  expect(first.body.nextCursor).not.toBeNull();
  return first.body.nextCursor ?? "";
}

const REFUSAL =
  "cursor: made for another query: give it with the order and filters of the page that printed it, or leave it out to start from the first page";

test("the admin API: a cursor given with another order, or another filter, is a 400 naming cursor", async () => {
  const newestFirst = await cursorOf("order=desc&model=mock");
  for (const other of [
    "order=asc&model=mock",
    "order=desc",
    "order=desc&model=mock&status=2xx",
    "model=other",
  ]) {
    const refused = await audit(`${other}&limit=2&cursor=${newestFirst}`);
    expect({ other, status: refused.status, error: refused.body.error }).toEqual({
      other,
      status: 400,
      error: { message: REFUSAL, type: "invalid_request_error", param: "cursor", code: "invalid_request" },
    });
  }
});

test("the admin API: the same query goes on with its cursor, its page size and time bounds changed or not", async () => {
  const newestFirst = await cursorOf("order=desc&model=mock");
  const next = await audit(`order=desc&model=mock&limit=2&cursor=${newestFirst}`);
  expect([next.status, next.body.records.length]).toEqual([200, 2]);
  // `order=desc` is what the query means when it is left out, and `from` moves with `--since`.
  const alike = await audit(`model=mock&from=0&limit=10&cursor=${newestFirst}`);
  expect([alike.status, alike.body.records.length]).toEqual([200, 4]);
});

test("a cursor of a release before (its position alone) still goes on, unchecked", async () => {
  const newestFirst = await cursorOf("order=desc&model=mock");
  const [startedAt, id] = JSON.parse(Buffer.from(newestFirst, "base64url").toString("utf8")) as number[];
  const old = Buffer.from(JSON.stringify([startedAt, id])).toString("base64url");
  const next = await audit(`order=desc&model=mock&limit=2&cursor=${old}`);
  expect(next.body.records.map((r) => r.requestId)).toEqual(
    (await audit(`order=desc&model=mock&limit=2&cursor=${newestFirst}`)).body.records.map((r) => r.requestId),
  );
  expect((await audit(`order=asc&limit=2&cursor=${old}`)).status).toBe(200);
});

test("mindgw audit query, on the database and through the gateway: another order is exit 2 naming --cursor", async () => {
  const newestFirst = await cursorOf("order=desc");
  for (const target of [
    ["-c", configPath],
    ["--gateway", base, "--admin-key", adminKey],
  ]) {
    const refused = await runCliCaptured([
      "audit",
      "query",
      ...target,
      "--order",
      "asc",
      "--cursor",
      newestFirst,
    ]);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      expect.stringContaining("--cursor: made for another query"),
    ]);
    const same = await runCliCaptured(["audit", "query", ...target, "--json", "--cursor", newestFirst]);
    expect([same.code, same.stderr]).toEqual([0, ""]);
    expect(same.stdout).toContain('"requestId"');
  }
});
