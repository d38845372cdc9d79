import { describe, expect, test } from "bun:test";
import { DEFAULT_HEARTBEATS, heartbeatBounds } from "./heartbeat-bounds.ts";
import { statusColour, workerHealth } from "./status-style.ts";
import { worker } from "./testing/fixtures.ts";

describe("statusColour", () => {
  test("by class", () => {
    expect([101, 200, 304, 429, 503, null].map(statusColour)).toEqual([
      "blue",
      "green",
      "cyan",
      "yellow",
      "red",
      "gray",
    ]);
  });
});

describe("workerHealth", () => {
  const w = worker({ lastHeartbeatAt: 1000 });
  // The gateway's defaults (a heartbeat every 10 s, removed after 30 s), the list read every 5 s.
  const bounds = heartbeatBounds(DEFAULT_HEARTBEATS, 5_000);

  test("from the heartbeat age and the drain", () => {
    expect(workerHealth({ ...w, gone: null }, 16_000, bounds).label).toBe("ok");
    expect(workerHealth({ ...w, gone: null }, 27_000, bounds)).toEqual({
      label: "late 26s",
      colour: "yellow",
    });
    expect(workerHealth({ ...w, gone: null }, 61_000, bounds).colour).toBe("red");
    expect(
      workerHealth({ ...w, gone: { how: "lost", reason: "heartbeat timeout" } }, 2000, bounds).label,
    ).toBe("lost");
    // Draining says more than a late heartbeat, less than one about to be removed.
    const draining = { ...w, draining: true, gone: null };
    expect(workerHealth(draining, 5000, bounds)).toEqual({ label: "draining", colour: "yellow" });
    expect(workerHealth(draining, 27_000, bounds).label).toBe("draining");
    expect(workerHealth(draining, 61_000, bounds)).toEqual({ label: "stale 60s", colour: "red" });
    expect(
      workerHealth({ ...draining, gone: { how: "lost", reason: "heartbeat timeout" } }, 2000, bounds).label,
    ).toBe("lost");
  });

  test("late and stale follow the gateway's heartbeat timeout: under 150 s, a worker heard 23 s ago is ok", () => {
    // workers.heartbeat_timeout: 150s, a heartbeat every 50 s: one is due up to 50 s apart, and
    // the list the pane read may be 5 s old.
    const slow = heartbeatBounds({ everyMs: 50_000, timeoutMs: 150_000 }, 5_000);
    const heard = { ...w, gone: null };
    expect(workerHealth(heard, 1000 + 23_000, slow)).toEqual({ label: "ok", colour: "green" });
    expect(workerHealth(heard, 1000 + 55_000, slow).label).toBe("ok");
    expect(workerHealth(heard, 1000 + 105_000, slow)).toEqual({ label: "late 105s", colour: "yellow" });
    expect(workerHealth(heard, 1000 + 155_000, slow)).toEqual({ label: "stale 155s", colour: "red" });
    // A short timeout (6 s, a heartbeat every 2 s): a healthy worker, read 5 s ago, is no late one.
    const quick = heartbeatBounds({ everyMs: 2_000, timeoutMs: 6_000 }, 5_000);
    expect(workerHealth(heard, 1000 + 7_000, quick).label).toBe("ok");
    expect(workerHealth(heard, 1000 + 9_000, quick).label).toBe("late 9s");
  });

  test("a worker out of rotation says so, in red, until its time, as the web UI does: not ok", () => {
    const ejected = { ...w, ejectedUntil: 40_000, gone: null };
    expect(workerHealth(ejected, 10_000, bounds)).toEqual({ label: "out 30s", colour: "red" });
    expect(workerHealth({ ...ejected, draining: true }, 10_000, bounds).label).toBe("out 30s");
    // Back in rotation once its time is past.
    expect(workerHealth({ ...ejected, lastHeartbeatAt: 39_000 }, 40_000, bounds).label).toBe("ok");
  });

  test("a worker that left once its drain was over is no loss: left, in grey, whatever its last heartbeat", () => {
    const drained = {
      ...w,
      draining: true,
      gone: { how: "left", reason: "connection closed (1000 drained)" },
    } as const;
    expect(workerHealth(drained, 2000, bounds)).toEqual({ label: "left", colour: "gray" });
    expect(workerHealth(drained, 61_000, bounds)).toEqual({ label: "left", colour: "gray" });
  });
});
