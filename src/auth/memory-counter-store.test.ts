import { describe, expect, test } from "bun:test";
import { MemoryCounterStore } from "./memory-counter-store.ts";
import { manualClock } from "./test-support.ts";

describe("MemoryCounterStore lets subjects go", () => {
  test("subjects that came and went (rotated keys, JWT subjects) are let go once their minute has passed", () => {
    const clock = manualClock();
    const store = new MemoryCounterStore();
    let most = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1000; i++) {
        store.takeRequest(`jwt:default:user-${round}-${i}`, 100, clock.now());
        store.addTokens(`jwt:default:user-${round}-${i}`, 10, clock.now());
      }
      const { requests, tokens } = store.held();
      most = Math.max(most, requests, tokens);
      clock.advance(61_000);
    }
    // 50,000 subjects seen, 1,000 a minute: never more than a few minutes' worth held.
    expect(most).toBeLessThanOrEqual(4096);
  });

  test("a subject with requests or tokens still in its window is kept through sweeps, its counts exact", () => {
    const clock = manualClock();
    const store = new MemoryCounterStore();
    for (let i = 0; i < 3000; i++) store.takeRequest(`key_old_${i}`, 10, clock.now());
    clock.advance(30_000);
    store.takeRequest("key_busy", 2, clock.now());
    store.addTokens("key_busy", 500, clock.now());
    clock.advance(31_000);
    expect(store.takeRequest("key_busy", 2, clock.now())).toBe(0);
    // New subjects sweep the table: the old ones' minute has passed, key_busy's has not.
    for (let i = 0; i < 3000; i++) store.takeRequest(`key_new_${i}`, 10, clock.now());
    expect(store.held().requests).toBeLessThan(3001 + 1000);
    expect(store.requestsUsed("key_busy", clock.now())).toBe(2);
    expect(store.takeRequest("key_busy", 2, clock.now())).toBeGreaterThan(0);
    expect(store.tokensUsed("key_busy", clock.now())).toBe(500);
    // Its first request leaves the window a minute after it came: one slot frees, not two.
    clock.advance(29_000);
    expect(store.takeRequest("key_busy", 2, clock.now())).toBe(0);
    expect(store.takeRequest("key_busy", 2, clock.now())).toBeGreaterThan(0);
  });
});
