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
    expect(workerHealth({ ...w, lost: false }, 5000).label).toBe("ok");
    expect(workerHealth({ ...w, lost: false }, 21_000)).toEqual({ label: "late 20s", colour: "yellow" });
    expect(workerHealth({ ...w, lost: false }, 61_000).colour).toBe("red");
    expect(workerHealth({ ...w, lost: true }, 2000).label).toBe("lost");
    // Draining says more than a late heartbeat, less than one about to be removed.
    const draining = { ...w, draining: true, lost: false };
    expect(workerHealth(draining, 5000)).toEqual({ label: "draining", colour: "yellow" });
    expect(workerHealth(draining, 21_000).label).toBe("draining");
    expect(workerHealth(draining, 61_000)).toEqual({ label: "stale 60s", colour: "red" });
    expect(workerHealth({ ...draining, lost: true }, 2000).label).toBe("lost");
  });
});
