import { describe, expect, test } from "bun:test";
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
  test("from the heartbeat age and the drain", () => {
    expect(workerHealth({ ...w, gone: null }, 5000).label).toBe("ok");
    expect(workerHealth({ ...w, gone: null }, 21_000)).toEqual({ label: "late 20s", colour: "yellow" });
    expect(workerHealth({ ...w, gone: null }, 61_000).colour).toBe("red");
    expect(workerHealth({ ...w, gone: { how: "lost", reason: "heartbeat timeout" } }, 2000).label).toBe(
      "lost",
    );
    // Draining says more than a late heartbeat, less than one about to be removed.
    const draining = { ...w, draining: true, gone: null };
    expect(workerHealth(draining, 5000)).toEqual({ label: "draining", colour: "yellow" });
    expect(workerHealth(draining, 21_000).label).toBe("draining");
    expect(workerHealth(draining, 61_000)).toEqual({ label: "stale 60s", colour: "red" });
    expect(
      workerHealth({ ...draining, gone: { how: "lost", reason: "heartbeat timeout" } }, 2000).label,
    ).toBe("lost");
  });

  test("a worker that left once its drain was over is no loss: left, in grey, whatever its last heartbeat", () => {
    const drained = {
      ...w,
      draining: true,
      gone: { how: "left", reason: "connection closed (1000 drained)" },
    } as const;
    expect(workerHealth(drained, 2000)).toEqual({ label: "left", colour: "gray" });
    expect(workerHealth(drained, 61_000)).toEqual({ label: "left", colour: "gray" });
  });
});
