import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { buildLargeLog } from "../../audit/testing/large-log.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../config/load-config.ts";
import { createGateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { type RecordingGateway, recordingGateway, recordOf } from "../../testing/recording-gateway.ts";

// An audit export is a stream its rows are read into a page at a time as the client takes them:
// the request ends with its body, not when the handler hands the body back. So a stop's drain
// waits for it, its row says how it ended (200 read whole, 499 left early, 503 cut at the drain
// deadline) and its latency is the whole export's; one cut short ends as a failed transfer, never
// as a shorter export that reads as whole.

const ROWS = 5_000;
const dir = mkdtempSync(join(tmpdir(), "mindgw-export-end-"));
let made = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A gateway on a log of ROWS rows, with this drain timeout. */
async function exportingGateway(drainTimeout: string): Promise<RecordingGateway> {
  const path = join(dir, `gw-${made++}.db`);
  buildLargeLog(path, { rows: ROWS, startMs: Date.now() - 60_000 });
  return recordingGateway(
    parseConfig({ ...EMBEDDED_DEFAULTS, storage: { path }, server: { drain_timeout: drainTimeout } }),
  );
}

/**
 * An export whose first page has been read, and the rest of it to read: through the gateway's
 * listener when `origin` is given (a stop closes its connections), else in process.
 */
async function exportStarted({ gateway, adminKey }: RecordingGateway, origin?: string) {
  const request = new Request(`${origin ?? "http://localhost"}/admin/api/audit/export`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const response = await (origin === undefined ? gateway.handle(request) : fetch(request));
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  const decoder = new TextDecoder();
  let text = decoder.decode(first.value, { stream: true });
  const rest = async (): Promise<string> => {
    for (let next = await reader.read(); !next.done; next = await reader.read())
      text += decoder.decode(next.value, { stream: true });
    return text;
  };
  return { response, reader, rest };
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "").length;

test("a stop waits for an export under way: it is read whole, and its row (200) is the whole export's", async () => {
  const recording = await exportingGateway("30s");
  const { port } = recording.gateway.listen("127.0.0.1", 0);
  const { response, rest } = await exportStarted(recording, `http://127.0.0.1:${port}`);
  const stopped = recording.gateway.stop();
  const text = await rest();
  await stopped;
  expect(lines(text)).toBe(ROWS);
  const row = await recordOf(recording.finished, response);
  expect([row.frontDoor, row.status]).toEqual(["admin", 200]);
});

test("a client that leaves an export part way: its row is 499 client_closed, written when it left", async () => {
  const recording = await exportingGateway("30s");
  const { response, reader } = await exportStarted(recording);
  await reader.cancel();
  const row = await recordOf(recording.finished, response);
  expect([row.status, row.errorClass]).toEqual([499, "client_closed"]);
  await recording.gateway.stop();
});

test("an export still unread at the drain deadline is cut: its read fails, its row is the drain's 503", async () => {
  const recording = await exportingGateway("100ms");
  const { response, rest } = await exportStarted(recording);
  await recording.gateway.stop();
  expect(
    await rest().then(
      () => "read as whole",
      (error: unknown) => `failed: ${String(error)}`,
    ),
  ).toStartWith("failed:");
  const row = await recordOf(recording.finished, response);
  expect(row.status).toBe(503);
});

test("a HEAD of the export is answered 200 with no body, and its row says 200 (Bun sends no body: not a client that left)", async () => {
  const recording = await exportingGateway("30s");
  const { port } = recording.gateway.listen("127.0.0.1", 0);
  const response = await fetch(`http://127.0.0.1:${port}/admin/api/audit/export`, {
    method: "HEAD",
    headers: { authorization: `Bearer ${recording.adminKey}` },
  });
  expect([response.status, await response.text()]).toEqual([200, ""]);
  expect(response.headers.get("content-type")).toBe("application/x-ndjson");
  const row = await recordOf(recording.finished, response);
  expect([row.status, row.errorClass]).toEqual([200, null]);
  await recording.gateway.stop();
});

test("a read of the log failing part way: the export ends as a failed transfer, its row the failure's", async () => {
  const path = join(dir, `gw-${made++}.db`);
  buildLargeLog(path, { rows: ROWS, startMs: Date.now() - 60_000 });
  const base = openSqliteStorage(path);
  // The first page is read; the next read of the log fails.
  let reads = 0;
  const audit = {
    ...base.audit,
    select: (...args: Parameters<typeof base.audit.select>) =>
      reads++ === 0 ? base.audit.select(...args) : Promise.reject(new Error("disk I/O error")),
  };
  let adminKey = "";
  const finished: AuditRecord[] = [];
  const gateway = await createGateway({
    config: parseConfig({ ...EMBEDDED_DEFAULTS, storage: { path } }),
    storage: { ...base, audit },
    logger: silentLogger,
    onBootstrapKey: (key) => {
      adminKey = key;
    },
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  const { response, rest } = await exportStarted({ gateway, adminKey, finished });
  expect(
    await rest().then(
      (text) => `read as whole: ${lines(text)} rows`,
      (error: unknown) => `failed: ${String(error)}`,
    ),
  ).toStartWith("failed:");
  const row = await recordOf(finished, response);
  // Its cause is the gateway's own fault, told as one (as any failure the gateway did not foresee).
  expect([row.status, row.errorClass, row.errorMessage]).toEqual([500, "internal_error", "internal error"]);
  await gateway.stop();
});
