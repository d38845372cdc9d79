import { expect, test } from "bun:test";
import type { SharedCounters } from "../auth/shared-counters.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { createMemorySpendStore } from "../storage/memory/memory-spend-store.ts";
import { buildLimitsPolicy } from "./build-policy.ts";

/** The record call the shared counters hand out. */
const call = Promise.resolve();
/** Shared counters that take every record and admit nothing (no call here admits). */
const shared: SharedCounters = {
  available: () => true,
  nodes: () => 2,
  admit: () => Promise.reject(new Error("not used")),
  record() {},
  recorded: () => call,
};

test("the built-in policy hands out its shared counters' record call on a cluster node, each config version's view too; alone, it has none to wait for", async () => {
  const config = parseConfig({ ...EMBEDDED_DEFAULTS, models: [] }, {});
  const alone = await buildLimitsPolicy(config, createMemorySpendStore(), silentLogger);
  const clustered = await buildLimitsPolicy(config, createMemorySpendStore(), silentLogger, shared);
  try {
    expect(alone.recordsShared).toBeUndefined();
    expect(alone.forConfig?.(config).recordsShared).toBeUndefined();
    expect(clustered.recordsShared?.()).toBe(call);
    expect(clustered.forConfig?.(config).recordsShared?.()).toBe(call);
  } finally {
    await alone.close?.();
    await clustered.close?.();
  }
});
