import { expect, test } from "bun:test";
import type { SharedCounters } from "../auth/shared-counters.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { createMemorySpendStore } from "../storage/memory/memory-spend-store.ts";
import { buildLimitsPolicy } from "./build-policy.ts";

/** Shared counters that take every record and admit nothing (no call here admits). */
const shared: SharedCounters = {
  available: () => true,
  nodes: () => 2,
  admit: () => Promise.reject(new Error("not used")),
  record() {},
};

test("the built-in policy says its records leave in a microtask on a cluster node, each config version's view too; alone, it records at once", async () => {
  const config = parseConfig({ ...EMBEDDED_DEFAULTS, models: [] }, {});
  const alone = await buildLimitsPolicy(config, createMemorySpendStore(), silentLogger);
  const clustered = await buildLimitsPolicy(config, createMemorySpendStore(), silentLogger, shared);
  try {
    expect(alone.recordsInMicrotask).toBeUndefined();
    expect(alone.forConfig?.(config).recordsInMicrotask).toBeUndefined();
    expect(clustered.recordsInMicrotask).toBe(true);
    expect(clustered.forConfig?.(config).recordsInMicrotask).toBe(true);
  } finally {
    await alone.close?.();
    await clustered.close?.();
  }
});
