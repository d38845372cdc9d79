import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import type { AuditStore } from "../storage/storage.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { waitForValue } from "../testing/wait-for.ts";

// Audit storage down without audit.fail_open: every request is refused with 503 but the operator's
// reads (monitoring-reads.ts), and /readyz says why it is not ready.
const failed = () => Promise.reject(new Error("disk I/O error"));
const down: AuditStore = { insert: failed, select: async () => [], prune: failed, probe: failed };
let gateway: Gateway;
const dir = mkdtempSync(join(tmpdir(), "mindgw-monitoring-reads-"));

beforeAll(async () => {
  const storage = openSqliteStorage(":memory:");
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: join(dir, "gw.db") },
      server: { drain_timeout: "1ms" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
    }),
    storage: { ...storage, audit: down },
    // The stop saves the rows it could not write there (audit/unwritten-rows.ts), at once.
    auditSpillDir: dir,
    logger: silentLogger,
    auth: async () => ({ ...jwtCaller, name: "ops", role: "admin" }),
  });
});

afterAll(async () => {
  await gateway.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => gateway.handle(new Request(`http://localhost${path}`));

test("/readyz names the audit storage's failure, not a drain", async () => {
  const readyz = await waitForValue("/readyz to turn 503", async () => {
    const response = await get("/readyz");
    return response.status === 503 ? response : undefined;
  });
  expect(await readyz.json()).toMatchObject({
    status: "unavailable",
    reason: "audit storage: disk I/O error",
  });
});

test("/metrics, /admin/api/status and /admin/api/workers are served; everything else is refused", async () => {
  await waitForValue("the refusal", async () => (await get("/readyz")).status === 503);
  const metrics = await get("/metrics");
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain("mindgw_audit_queue_depth");
  const status = await get("/admin/api/status");
  expect(status.status).toBe(200);
  const body = (await status.json()) as { audit: { healthy: boolean }; release: string };
  expect(body.audit.healthy).toBe(false);
  // Run from source: no commit compiled in.
  expect(body.release).toMatch(/^\d+\.\d+\.\d+\+dev$/);
  expect((await get("/admin/api/workers")).status).toBe(200);
  for (const refused of [
    await get("/admin/api/audit"),
    await get("/v1/models"),
    await gateway.handle(
      new Request("http://localhost/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      }),
    ),
  ])
    expect(refused.status).toBe(503);
});
