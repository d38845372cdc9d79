import { describe, expect, test } from "bun:test";
import { parseTailEvent } from "./tail-event.ts";
import { finishedEvent } from "./testing/fixtures.ts";

describe("parseTailEvent", () => {
  test("accepts every gateway event type", () => {
    const worker = {
      id: "w1",
      name: "gpu1",
      models: ["llama"],
      inFlight: 1,
      capacity: 4,
      labels: {},
      lastHeartbeatAt: 1,
    };
    const events = [
      {
        type: "request.started",
        at: 1,
        requestId: "r",
        keyName: null,
        model: "m",
        frontDoor: "chat",
        stream: true,
      },
      finishedEvent({}),
      { type: "worker.connected", at: 1, worker },
      { type: "worker.lost", at: 1, worker, reason: "heartbeat" },
      { type: "config.reloaded", at: 1, version: 2 },
      { type: "config.rejected", at: 1, error: "bad" },
      { type: "config.restored", at: 1, version: 2 },
      { type: "events.missed", at: 1, count: 3 },
    ];
    for (const event of events)
      expect(String(parseTailEvent(JSON.stringify(event))?.event.type)).toBe(event.type);
  });

  test("keeps fields a newer gateway adds in the raw JSON", () => {
    const event = { ...finishedEvent({}), shard: 7 };
    expect(parseTailEvent(JSON.stringify(event))?.raw).toEqual(event);
  });

  test("ignores unknown types, bad JSON and malformed events", () => {
    expect(parseTailEvent(JSON.stringify({ type: "cache.hit", at: 1 }))).toBeNull();
    expect(parseTailEvent("{not json")).toBeNull();
    expect(
      parseTailEvent(JSON.stringify({ type: "request.finished", at: 1, record: { status: "x" } })),
    ).toBeNull();
  });
});
