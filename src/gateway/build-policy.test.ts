import { expect, test } from "bun:test";
import type { Principal } from "../auth/principal.ts";
import type { SharedCounters } from "../auth/shared-counters.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { createMemorySpendStore } from "../storage/memory/memory-spend-store.ts";
import { buildLimitsPolicy } from "./build-policy.ts";

/** The record call the shared counters hand out. */
const call = Promise.resolve();
/** Shared counters that carry every record in one call and admit nothing (no call here admits). */
const shared: SharedCounters = {
  available: () => true,
  nodes: () => 2,
  admit: () => Promise.reject(new Error("not used")),
  record: () => call,
};
const principal: Principal = {
  keyId: "key_a",
  name: "alice",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: { tpm: 100 },
  via: "key",
};
const usage = { inputTokens: 3, outputTokens: 2 };

test("the built-in policy's record hands out its shared counters' call carrying it on a cluster node, each config version's view too; alone, only the cost", async () => {
  const config = parseConfig({ ...EMBEDDED_DEFAULTS, models: [] }, {});
  const alone = await buildLimitsPolicy(config, createMemorySpendStore(), silentLogger);
  const clustered = await buildLimitsPolicy(config, createMemorySpendStore(), silentLogger, shared);
  try {
    expect(alone.record(principal, "m", usage)).toBe(0);
    expect(alone.forConfig?.(config).record(principal, "m", usage)).toBe(0);
    for (const policy of [clustered, clustered.forConfig?.(config)]) {
      const charge = policy?.record(principal, "m", usage);
      expect(charge).toMatchObject({ costUsd: 0 });
      expect(typeof charge === "object" && charge.counted).toBe(call);
    }
  } finally {
    await alone.close?.();
    await clustered.close?.();
  }
});
