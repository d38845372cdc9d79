import { describe, expect, test } from "bun:test";
import { makeRecord } from "./audit-fixture.ts";
import { EventBus } from "./event-bus.ts";
import { withoutBodies } from "./published-record.ts";
import { RequestStats, RollingStats } from "./request-stats.ts";

const record = (startedAt: number, status: number, latencyMs: number, ttfbMs: number | null = null) => ({
  startedAt,
  status,
  latencyMs,
  ttfbMs,
  inputTokens: 10,
  outputTokens: 5,
  costUsd: 0.001,
});

describe("RollingStats", () => {
  test("buckets requests, 5xx share, tokens and cost by step", () => {
    const stats = new RollingStats(10_000, 6);
    stats.add(record(100_000, 200, 50));
    stats.add(record(105_000, 503, 70));
    stats.add(record(112_000, 200, 30));
    const series = stats.series(119_999, 30_000);
    expect(series.t).toEqual([90, 100, 110]);
    expect(series.requests).toEqual([0, 2, 1]);
    expect(series.errorShare).toEqual([null, 0.5, 0]);
    expect(series.tokens).toEqual([0, 30, 15]);
    expect(series.costUsd[1]).toBeCloseTo(0.002);
  });

  test("percentiles come within the histogram's resolution (±8%)", () => {
    const stats = new RollingStats(60_000, 10);
    for (let ms = 1; ms <= 1000; ms++) stats.add(record(0, 200, ms, ms / 10));
    const series = stats.series(0, 60_000);
    expect(Math.abs((series.latencyP50[0] ?? 0) - 500) / 500).toBeLessThan(0.08);
    expect(Math.abs((series.latencyP95[0] ?? 0) - 950) / 950).toBeLessThan(0.08);
    expect(Math.abs((series.ttftP95[0] ?? 0) - 95) / 95).toBeLessThan(0.08);
  });

  test("a slot reused by a later step forgets the old one; older records are ignored", () => {
    const stats = new RollingStats(1000, 3);
    stats.add(record(0, 200, 10));
    stats.add(record(3000, 200, 10)); // same slot, three steps later
    stats.add(record(0, 200, 10)); // now outside the window: dropped
    expect(stats.series(3000, 3000).requests).toEqual([0, 0, 1]);
    expect(stats.series(5000, 3000).requests).toEqual([1, 0, 0]);
  });

  test("requests that end out of start order each count in their own step", () => {
    const stats = new RollingStats(1000, 3);
    for (const at of [1000, 1999, 2000, 1500, 2999, 1000]) stats.add(record(at, 200, 10));
    expect(stats.series(2999, 3000).requests).toEqual([0, 4, 2]);
  });
});

test("RequestStats follows the bus: finished requests are counted and the last config event kept, as published", () => {
  const bus = new EventBus();
  const stats = new RequestStats();
  const detach = stats.follow(bus);
  const now = Date.now();
  bus.publish({
    type: "request.finished",
    at: now,
    record: withoutBodies(makeRecord({ startedAt: now, status: 200 })),
  });
  bus.publish({
    type: "request.finished",
    at: now,
    record: withoutBodies(makeRecord({ startedAt: now, status: 503 })),
  });
  bus.publish({ type: "config.reloaded", at: now, version: 2 });
  const series = stats.series(now, "15m");
  expect(series.requests.reduce((a, b) => a + b, 0)).toBe(2);
  expect(stats.lastConfigEvent).toEqual({ type: "config.reloaded", at: now, version: 2 });
  detach();
  bus.publish({ type: "request.finished", at: now, record: withoutBodies(makeRecord({ startedAt: now })) });
  expect(stats.series(now, "15m").requests.reduce((a, b) => a + b, 0)).toBe(2);
});

test("the admin API's own calls stay out of the charts: a held event stream is no latency, polling no traffic", () => {
  const bus = new EventBus();
  const stats = new RequestStats();
  stats.follow(bus);
  const now = Date.now();
  const publish = (frontDoor: "chat" | "admin", latencyMs: number) =>
    bus.publish({
      type: "request.finished",
      at: now,
      record: withoutBodies(makeRecord({ startedAt: now, frontDoor, latencyMs, ttfbMs: null })),
    });
  for (let i = 0; i < 20; i++) publish("chat", 1);
  for (let i = 0; i < 40; i++) publish("admin", 25_000); // /admin/api/events held open 25 s, say
  const series = stats.series(now, "15m");
  expect(series.requests.reduce((a, b) => a + b, 0)).toBe(20);
  expect(Math.max(...series.latencyP95.map((v) => v ?? 0))).toBeLessThan(2);
});
