import { Database } from "bun:sqlite";
import { expect, spyOn, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { createSqliteAuditStore } from "../storage/sqlite/sqlite-audit-store.ts";
import type { AuditStore } from "../storage/storage.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { makeRecord, tempDir } from "./audit-fixture.ts";
import { createAuditService } from "./audit-service.ts";
import type { GatewayEvent } from "./gateway-event.ts";
import { BODY_NOT_KEPT } from "./queued-bodies.ts";

test("a finished request is announced at its own start plus its latency, with no clock read", async () => {
  const service = createAuditService(
    parseConfig({ ...EMBEDDED_DEFAULTS }),
    createSqliteAuditStore({ database: new Database(":memory:") }),
    silentLogger,
  );
  const heard: GatewayEvent[] = [];
  const stop = service.bus.tap("a test's listener", (event) => heard.push(event), ["request.finished"]);
  // A wall clock that moves on every read: the event's time is the row's only if none is read.
  let now = 1_800_000_000_000;
  const moving = spyOn(Date, "now").mockImplementation(() => now++);
  try {
    service.observer.finished(makeRecord({ startedAt: 1_700_000_000_000, latencyMs: 1_234.5 }));
  } finally {
    moving.mockRestore();
    stop();
    await service.close();
  }
  expect(heard.map((event) => event.at)).toEqual([1_700_000_001_235]);
});

test("a finished request's event carries no body: the row keeps them, through the redaction hook, and only the row", async () => {
  const store = createSqliteAuditStore({ database: new Database(":memory:") });
  // An embedder's hook (PII, say): the one place bodies are let out.
  const redactBody = (body: string) => body.replaceAll("Alice", "[name]");
  const service = createAuditService(parseConfig({ ...EMBEDDED_DEFAULTS }), store, silentLogger, redactBody);
  const heard: GatewayEvent[] = [];
  const stop = service.bus.tap("a test's listener", (event) => heard.push(event), ["request.finished"]);
  const record = makeRecord({ requestBody: '{"content":"I am Alice"}', responseBody: "hello Alice" });
  service.observer.finished(record);
  stop();
  await service.close();
  expect(heard).toHaveLength(1);
  const published = heard[0]?.type === "request.finished" ? heard[0].record : undefined;
  expect(published).toEqual({ ...record, requestBody: undefined, responseBody: undefined });
  expect(JSON.stringify(heard)).not.toContain("Alice");
  const [row] = await store.select({ order: "asc", bodies: true }, null, 10);
  expect([row?.record.requestBody, row?.record.responseBody]).toEqual([
    '{"content":"I am [name]"}',
    "hello [name]",
  ]);
});

/** A store that cannot be written (disk full, say): every write and probe fails. */
const brokenStore = (): AuditStore => {
  const failed = () => Promise.reject(new Error("database or disk is full"));
  return { insert: failed, select: async () => [], prune: failed, probe: failed };
};

test("the failure's log line says one thing by audit.fail_open: refusing, or serving unaudited", async () => {
  for (const failOpen of [false, true]) {
    const lines: string[] = [];
    const logger = { ...silentLogger, error: (line: string) => void lines.push(line) };
    const service = createAuditService(
      parseConfig({ ...EMBEDDED_DEFAULTS, audit: { fail_open: failOpen } }),
      brokenStore(),
      logger,
    );
    await waitForValue("the failure logged", () => lines.length > 0);
    expect(lines).toEqual([
      failOpen
        ? "audit storage failed (database or disk is full): audit.fail_open is set: serving requests unaudited, their rows queued until it recovers"
        : "audit storage failed (database or disk is full): refusing requests with 503 audit_unavailable until it recovers",
    ]);
    await service.close();
  }
});

test("a stop with the storage still down saves the unwritten rows as NDJSON beside the database and says how many and where", async () => {
  const dir = tempDir();
  try {
    const service = createAuditService(
      parseConfig({ ...EMBEDDED_DEFAULTS, storage: { path: join(dir.path, "gw.db") } }),
      brokenStore(),
      silentLogger,
    );
    const records = Array.from({ length: 5 }, (_, i) =>
      makeRecord({ requestId: `r${i}`, ...(i === 2 ? { errorMessage: "upstream said no" } : {}) }),
    );
    for (const record of records) service.observer.finished(record);
    const stopped = await service.close(performance.now() + 20).then(
      () => new Error("resolved"),
      (error: Error) => error,
    );
    const saved = readdirSync(dir.path);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatch(/^gw\.db\.unwritten-.*\.ndjson$/);
    const path = join(dir.path, saved[0]!);
    expect(stopped.message).toBe(
      `5 audit rows could not be written (audit storage: database or disk is full); saved as NDJSON, one row a line as \`mindgw audit export\` writes them, to ${path}`,
    );
    // Each line as an export prints the row: the fields the record has, none added as null.
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line))).toEqual(records);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  } finally {
    dir.cleanup();
  }
});

test("a stop with audit.unwritten_rows: stderr (a container) writes the unwritten rows to stderr alone, and says so", async () => {
  const dir = tempDir();
  try {
    const storage = { path: join(dir.path, "gw.db") };
    const service = createAuditService(
      parseConfig({ ...EMBEDDED_DEFAULTS, storage, audit: { unwritten_rows: "stderr" } }),
      brokenStore(),
      silentLogger,
    );
    // A reload may set it too: the stop reads the setting in force.
    service.reconfigure(parseConfig({ ...EMBEDDED_DEFAULTS, storage, audit: { unwritten_rows: "file" } }));
    service.reconfigure(parseConfig({ ...EMBEDDED_DEFAULTS, storage, audit: { unwritten_rows: "stderr" } }));
    service.observer.finished(makeRecord({ requestId: "to-stderr" }));
    const stopped = await service.close(performance.now() + 20).then(
      () => new Error("resolved"),
      (error: Error) => error,
    );
    expect(readdirSync(dir.path)).toEqual([]);
    // True in either log format: with log.format json the two marker lines are JSON, their words the `msg`.
    expect(stopped.message).toBe(
      '1 audit rows could not be written (audit storage: database or disk is full); written to stderr (audit.unwritten_rows: stderr) as NDJSON, one row a line as `mindgw audit export` writes them, between the log lines whose message begins "mindgw: audit rows no file took follow, as NDJSON, up to the line below" and "mindgw: end of the audit rows no file took"',
    );
  } finally {
    dir.cleanup();
  }
});

test("rows whose bodies do not fit in audit.max_queue_bytes are logged once a burst: its first, and its end with how many", async () => {
  const lines: { level: string; message: string; fields: unknown }[] = [];
  const logger = {
    ...silentLogger,
    warn: (message: string, fields?: unknown) => void lines.push({ level: "warn", message, fields }),
    info: (message: string, fields?: unknown) => void lines.push({ level: "info", message, fields }),
  };
  const store = createSqliteAuditStore({ database: new Database(":memory:") });
  const service = createAuditService(
    parseConfig({ ...EMBEDDED_DEFAULTS, audit: { max_queue_bytes: "64KB", flush_ms: 10 } }),
    store,
    logger,
  );
  const body = "x".repeat(40 * 1024);
  const finished = (id: string) =>
    service.observer.finished(makeRecord({ requestId: id, requestBody: body }));
  // The first fits; the next three find the queue holding it.
  for (let i = 0; i < 4; i++) finished(`r${i}`);
  await waitForValue("the rows written", () => service.stats().written === 4);
  // Written, the queue has room again: the next row's body is kept, which ends the burst.
  finished("r4");
  await service.close();
  expect(service.stats()).toMatchObject({ written: 5, bodiesDropped: 3, dropped: 0 });
  expect(lines).toEqual([
    {
      level: "warn",
      message: "audit bodies dropped",
      fields: {
        queued_bytes: expect.any(Number),
        max_queue_bytes: 64 * 1024,
        further: "rows are written with their bodies replaced, counted until a body fits again",
      },
    },
    { level: "info", message: "audit bodies kept again", fields: { dropped: 3 } },
  ]);
  const rows = await store.select({ order: "asc", bodies: true }, null, 10);
  expect(rows.map(({ record }) => record.requestBody?.length)).toEqual([
    body.length,
    BODY_NOT_KEPT.length,
    BODY_NOT_KEPT.length,
    BODY_NOT_KEPT.length,
    body.length,
  ]);
});

test("rows refused at the full audit queue are told at most a line every 30 s, never a line a row: the first at once, with the queue and its bounds, and the rest at the stop", async () => {
  const lines: { message: string; fields: unknown }[] = [];
  const logger = {
    ...silentLogger,
    warn: (message: string, fields?: unknown) => void lines.push({ message, fields }),
  };
  const dir = tempDir();
  const service = createAuditService(
    // The stop saves the rows the storage never took beside the database: in a directory of the test's.
    parseConfig({
      ...EMBEDDED_DEFAULTS,
      storage: { path: join(dir.path, "gw.db") },
      audit: { max_queue_bytes: "64KB" },
    }),
    brokenStore(),
    logger,
  );
  // The storage is down: the rows wait, up to the byte bound, and the rest are refused.
  for (let i = 0; service.stats().dropped < 1_000; i++)
    service.observer.finished(makeRecord({ requestId: `r${i}` }));
  const { queued, queuedBytes } = service.stats();
  expect(lines).toEqual([
    {
      message: "audit rows dropped: the audit queue is full",
      fields: {
        dropped: 1,
        queued,
        queued_bytes: queuedBytes,
        max_queue: 100_000,
        max_queue_bytes: 64 * 1024,
        further:
          'rows of served requests are refused until it has room (mindgw_audit_records_total{result="dropped"}), told at most every 30 s',
      },
    },
  ]);
  await service.close(performance.now()).catch(() => {});
  // The stop says the rows refused since, within the 30 s: every refused row is in a line.
  expect(lines.filter(({ message }) => message.startsWith("audit rows dropped")).at(-1)).toEqual({
    message: "audit rows dropped",
    fields: expect.objectContaining({ dropped: 999 }),
  });
  dir.cleanup();
});
