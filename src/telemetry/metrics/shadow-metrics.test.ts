import { expect, test } from "bun:test";
import { Registry } from "prom-client";
import { registerShadowMetrics } from "./shadow-metrics.ts";

test("mindgw_shadow_shed_total says both reasons a copy is shed: the cap, and no worker slot to spare", async () => {
  const registry = new Registry();
  const counts = { shed: 3, skipped: 0, inFlight: 0, ended: [], spent: [] };
  registerShadowMetrics(
    [registry],
    () => counts,
    () => undefined,
  );
  const text = await registry.metrics();
  const help = text.split("\n").find((line) => line.startsWith("# HELP mindgw_shadow_shed_total "));
  expect(help).toContain("shadow.max_concurrent");
  expect(help).toContain("worker");
  expect(text).toContain("mindgw_shadow_shed_total 3");
});
