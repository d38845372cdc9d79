import { describe, expect, test } from "bun:test";
import { percentile, StatsWindow } from "./stats-window.ts";

const T0 = 1_700_000_000_000;

describe("StatsWindow", () => {
  test("rates, error shares and percentiles over the window", () => {
    const stats = new StatsWindow(T0 - 60_000);
    for (let i = 1; i <= 100; i++) stats.add(T0 + i * 10, i <= 5 ? 503 : i <= 15 ? 429 : 200, i, 6);
    const s = stats.snapshot(T0 + 2000);
    expect(s.count).toBe(100);
    expect(s.requestsPerSec).toBeCloseTo(100 / 60);
    expect(s.errorRate5xx).toBeCloseTo(0.05);
    expect(s.errorRate4xx).toBeCloseTo(0.1);
    expect(s.p50Ms).toBe(50);
    expect(s.p95Ms).toBe(95);
    expect(s.tokensPerSec).toBeCloseTo(600 / 60);
  });

  test("divides by the time watched during the first minute", () => {
    const stats = new StatsWindow(T0);
    for (let i = 0; i < 20; i++) stats.add(T0 + 100, 200, 5, 0);
    expect(stats.snapshot(T0 + 2000).requestsPerSec).toBe(10);
  });

  test("forgets seconds older than the window", () => {
    const stats = new StatsWindow(T0 - 120_000);
    stats.add(T0, 500, 10, 1);
    stats.add(T0 + 61_000, 200, 20, 1);
    const s = stats.snapshot(T0 + 61_500);
    expect(s.count).toBe(1);
    expect(s.errorRate5xx).toBe(0);
    expect(s.p95Ms).toBe(20);
  });

  test("an empty window has no percentiles", () => {
    const s = new StatsWindow(T0).snapshot(T0 + 5000);
    expect(s).toMatchObject({ count: 0, p50Ms: null, p95Ms: null, requestsPerSec: 0 });
  });

  test("keeps at most maxSamples latencies per second", () => {
    const stats = new StatsWindow(T0 - 60_000, 60, 10, () => 0.99);
    for (let i = 0; i < 1000; i++) stats.add(T0, 200, 7, 0);
    const s = stats.snapshot(T0 + 10);
    expect(s.count).toBe(1000);
    expect(s.p50Ms).toBe(7);
  });
});

describe("percentile", () => {
  test("nearest rank", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(percentile([], 0.5)).toBeNull();
  });
});
