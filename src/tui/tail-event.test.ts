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
      { type: "worker.draining", at: 1, worker: { ...worker, draining: true } },
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

  test("a finished record keeps what the request detail shows: the error's message, what was dropped, every attempt, the nodes, the app", () => {
    const attempts = [
      {
        route: "provider:dead",
        upstreamModel: "m",
        outcome: "failed" as const,
        status: 502,
        errorClass: "upstream_error",
        durationMs: 3.5,
        billed: { inputTokens: 10, outputTokens: 0, costUsd: 0.001 },
      },
      {
        route: "worker:w1",
        upstreamModel: "m",
        outcome: "cut" as const,
        status: null,
        errorClass: null,
        durationMs: 1,
      },
    ];
    const full = {
      errorMessage: "could not reach upstream dead",
      dropped: "tools.web_search",
      attempts,
      node: "gw-a",
      servedNode: "gw-b",
      app: "billing",
    };
    const parsed = parseTailEvent(JSON.stringify(finishedEvent({ status: 502, ...full })));
    expect(parsed?.event.type === "request.finished" && parsed.event.record).toMatchObject(full);
    // An older gateway's record has none of them; a newer one's attempt may say more.
    const older = finishedEvent({});
    expect(parseTailEvent(JSON.stringify(older))?.event).toEqual(older);
    const newer = finishedEvent({
      attempts: [{ ...attempts[1]!, outcome: "hedged" as "ok", shard: 2 } as never],
    });
    expect(parseTailEvent(JSON.stringify(newer))?.event.type).toBe("request.finished");
  });

  test("ignores unknown types, bad JSON and malformed events", () => {
    expect(parseTailEvent(JSON.stringify({ type: "cache.hit", at: 1 }))).toBeNull();
    expect(parseTailEvent("{not json")).toBeNull();
    expect(
      parseTailEvent(JSON.stringify({ type: "request.finished", at: 1, record: { status: "x" } })),
    ).toBeNull();
  });
});
