import { Database } from "bun:sqlite";
import { expect, spyOn, test } from "bun:test";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { createSqliteAuditStore } from "../storage/sqlite/sqlite-audit-store.ts";
import { makeRecord } from "./audit-fixture.ts";
import { createAuditService } from "./audit-service.ts";
import type { GatewayEvent } from "./gateway-event.ts";

test("a finished request is announced at its own start plus its latency, with no clock read", async () => {
  const service = createAuditService(
    parseConfig({ ...EMBEDDED_DEFAULTS }),
    createSqliteAuditStore({ database: new Database(":memory:") }),
    silentLogger,
  );
  const heard: GatewayEvent[] = [];
  const stop = service.bus.tap((event) => heard.push(event), ["request.finished"]);
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
