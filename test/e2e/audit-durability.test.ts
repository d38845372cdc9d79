import { describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { integrityCheck, withDb } from "./harness/audit-kit.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { expectKillKept, killWhenCommitted } from "./harness/kill-when-committed.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// Backs docs/RELIABILITY.md: rows counted against the responses the client saw, under load.
const FLUSH_MS = 50;
const LOOPS = 8;
const MAX_REQUESTS = 3000;

const config = {
  providers: [{ name: "mock", type: "mock" }],
  models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
  audit: { flush_ms: FLUSH_MS },
};

interface Load {
  /** Every request id whose complete response (status and body) the client had. */
  answered: Set<string>;
  sent: Set<string>;
  stop(): void;
  done: Promise<void>;
}

/** A few concurrent loops of chat calls until stopped, the cap, or the gateway goes away. */
function startLoad(gw: GatewayProcess, prefix: string): Load {
  const answered = new Set<string>();
  const sent = new Set<string>();
  let stopped = false;
  let n = 0;
  const loop = async () => {
    while (!stopped && n < MAX_REQUESTS) {
      const id = `${prefix}-${n++}`;
      sent.add(id);
      try {
        const response = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${gw.adminKey}`,
            "content-type": "application/json",
            "x-request-id": id,
          },
          body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
        });
        await response.arrayBuffer();
        answered.add(id);
      } catch {
        return; // the gateway is gone (refused or reset): this request was never answered
      }
    }
  };
  const done = Promise.all(Array.from({ length: LOOPS }, loop)).then(() => {});
  return { answered, sent, done, stop: () => (stopped = true) };
}

const rowIds = (path: string) =>
  withDb(path, (db) => db.query<{ request_id: string }, []>("SELECT request_id FROM audit_log").all()).map(
    (r) => r.request_id,
  );

// A gateway per test, killed after it (each test kills it mid-load itself).
const fx = gatewayFixture({ fake: null, gateway: false });
let gw: GatewayProcess | undefined;

describe("audit durability under load", () => {
  test("SIGTERM: every answered request has exactly one row, the WAL is truncated, integrity ok", async () => {
    gw = await fx.spawn({ config });
    const dir = gw.dir;
    const load = startLoad(gw, "term");
    try {
      await waitFor(
        "load to build up",
        () => load.answered.size >= 200 || load.sent.size >= MAX_REQUESTS,
        20_000,
      );
      gw.proc.kill("SIGTERM");
      const code = await Promise.race([gw.proc.exited, Bun.sleep(20_000).then(() => "timeout")]);
      expect(code).toBe(0);
    } finally {
      load.stop();
      await load.done;
    }
    const db = `${dir}/mindgw.db`;
    const ids = rowIds(db);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates
    expect(ids.length).toBe(load.answered.size);
    for (const id of load.answered) expect(ids).toContain(id);
    expect(load.answered.size).toBeGreaterThanOrEqual(200);
    const wal = `${db}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect(integrityCheck(db)).toBe("ok");
  }, 60_000);

  test("SIGKILL: every row committed before the kill is kept; only rows still queued or being written can be missing", async () => {
    gw = await fx.spawn({ config });
    const db = `${gw.dir}/mindgw.db`;
    const load = startLoad(gw, "kill");
    let acknowledged: string[] = [];
    try {
      await waitFor(
        "load to build up",
        () => load.answered.size >= 300 || load.sent.size >= MAX_REQUESTS,
        20_000,
      );
      acknowledged = await killWhenCommitted(gw.proc, load.answered, () => rowIds(db));
    } finally {
      load.stop();
      await load.done;
    }
    expect(integrityCheck(db)).toBe("ok");
    expectKillKept(rowIds(db), load.sent, acknowledged);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);
  }, 60_000);
});
