import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AuditStore,
  type Authenticator,
  createGateway,
  openSqliteStorage,
  parseConfig,
  type Storage,
  silentLogger,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's storage whose audit writes fail, as EMBEDDING.md and RELIABILITY.md say: the audit
// turns unhealthy and every request is refused 503 `audit_unavailable` in its caller's dialect
// (audit.fail_open off), the status says so, and the stop saves the rows the store never took in
// `auditSpillDir` and rejects naming the file.

const dir = mkdtempSync(join(tmpdir(), "mindgw-failing-storage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const admin: Authenticator = async () => ({ ...jwtCaller, role: "admin" });

/** The built-in in-memory stores, but an audit store that refuses every write. */
function failingAudit(): Storage {
  const base = openSqliteStorage(":memory:");
  const refuse = () => Promise.reject(new Error("the disk is full"));
  const audit: AuditStore = {
    insert: refuse,
    probe: refuse,
    select: (filter, after, limit) => base.audit.select(filter, after, limit),
    prune: (before, limit) => base.audit.prune(before, limit),
  };
  return { keys: base.keys, spend: base.spend, responses: base.responses, audit, close: () => base.close() };
}

const post = (path: string, body: object) =>
  new Request(`http://gw${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer t" },
    body: JSON.stringify(body),
  });

/** A gateway on the failing store that spills into `spill`, with `mock` served. */
const spilling = (spill: string) =>
  createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      server: { drain_timeout: "1s" },
      audit: { flush_ms: 10 },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    storage: failingAudit(),
    auth: admin,
    auditSpillDir: spill,
    logger: silentLogger,
  });

test("an embedder's audit store whose writes fail: 503 audit_unavailable in each dialect, the status says so, and stop saves the rows and names the file", async () => {
  const spill = join(dir, "spill");
  mkdirSync(spill);
  const gateway = await spilling(spill);
  const chat = () =>
    gateway.handle(
      post("/v1/chat/completions", { model: "mock", messages: [{ role: "user", content: "hi" }] }),
    );
  await waitForValue("the audit unhealthy", async () => {
    const status = await gateway.handle(
      new Request("http://gw/admin/api/status", { headers: { authorization: "Bearer t" } }),
    );
    const body = (await status.json()) as { audit?: { healthy?: boolean } };
    return body.audit?.healthy === false || undefined;
  });

  const refused = await chat();
  expect(refused.status).toBe(503);
  expect(((await refused.json()) as { error?: { code?: unknown } }).error?.code).toBe("audit_unavailable");
  const anthropic = await gateway.handle(
    post("/v1/messages", { model: "mock", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
  );
  expect(anthropic.status).toBe(503);
  expect(((await anthropic.json()) as { type?: unknown }).type).toBe("error");

  // The stop's AggregateError holds the audit's failure, which names the file.
  const stopped = await gateway.stop().then(
    () => "stopped",
    (error: unknown) =>
      error instanceof AggregateError
        ? error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join(" | ")
        : String(error),
  );
  const files = readdirSync(spill);
  expect(files.length).toBe(1);
  expect(stopped).toContain(files[0] ?? "no file");
  const rows = readFileSync(join(spill, files[0] ?? ""), "utf8")
    .trim()
    .split("\n");
  expect(rows.length).toBeGreaterThanOrEqual(3);
});

test("an auditSpillDir that does not exist is made at start, its owner's alone, and the stop's rows go there", async () => {
  const spill = join(dir, "not-yet", "spill");
  const gateway = await spilling(spill);
  expect(statSync(spill).mode & 0o777).toBe(0o700);
  await gateway.handle(post("/v1/models", {}));
  const stopped = await gateway.stop().then(
    () => "stopped",
    (error: unknown) => String(error instanceof AggregateError ? error.errors : error),
  );
  const files = readdirSync(spill);
  expect(files.length).toBe(1);
  expect(stopped).toContain(join(spill, files[0] ?? "no file"));
});

test("an auditSpillDir that cannot be a folder (a file is there) refuses the start, naming it", async () => {
  const file = join(dir, "a-file");
  writeFileSync(file, "");
  const started = await spilling(file).then(
    (gateway) => gateway.stop().then(() => "started"),
    (error: unknown) => String(error),
  );
  expect(started).toContain(`auditSpillDir ${file}`);
});
