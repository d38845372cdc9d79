import { expect, spyOn, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { silentLogger } from "../log/logger.ts";
import { BuiltSoFar } from "./built-so-far.ts";
import { createGateway } from "./create-gateway.ts";
import { STOP_ORDER } from "./stop-order.ts";

/** A build of these parts, made in the order createGateway makes them, each noting its stop. */
function builtWith(parts: readonly (typeof STOP_ORDER)[number][0][]) {
  const built = new BuiltSoFar();
  built.stopsWith(silentLogger, 1_000);
  const closed: string[] = [];
  for (const part of parts) built.made(part, () => void closed.push(part));
  return { built, closed };
}

test("an undo stops the parts made in stop()'s order, not the reverse of their making: the audit's final flush before telemetry closes, event sinks after it", async () => {
  const { built, closed } = builtWith([
    "storage",
    "the audit",
    "event sinks",
    "workers",
    "auth",
    "telemetry",
  ]);
  await built.undo();
  expect(closed).toEqual(["workers", "the audit", "telemetry", "auth", "event sinks", "storage"]);
});

test("stop()'s steps are the parts made, each phase in its order: one list for the undo and the stop", async () => {
  const parts = STOP_ORDER.map(([part]) => part).reverse();
  const { built, closed } = builtWith(parts);
  const phases = built.stopSteps();
  for (const step of [...phases.beforeDrain, ...phases.beforeClose, ...phases.afterDrain]) step.run(0);
  const stopped = [...closed];
  closed.length = 0;
  await built.undo();
  expect(closed).toEqual(stopped);
  expect(stopped).toEqual(STOP_ORDER.map(([part]) => part));
  expect(phases.beforeClose.map((step) => step.part)).toEqual(["workers"]);
});

test("a step is named as it was made, and a part made twice is refused", () => {
  const { built } = builtWith(STOP_ORDER.map(([part]) => part).filter((part) => part !== "the policy"));
  built.made("the policy", () => {}, { named: "the embedder's policy" });
  expect(built.stopSteps().afterDrain.map((step) => step.part)).toContain("the embedder's policy");
  expect(() => built.made("the policy", () => {})).toThrow("the policy is made twice");
});

test("a done build's stop steps name any part of STOP_ORDER it never made, where stop() skipped it without a word", () => {
  const { built } = builtWith(
    STOP_ORDER.map(([part]) => part).filter((part) => part !== "telemetry" && part !== "auth"),
  );
  expect(() => built.stopSteps()).toThrow("a gateway's build made no stop for: telemetry, auth");
});

test("createGateway's build makes every part stop() stops", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-built-"));
  try {
    // Its end reads stopSteps: a part of STOP_ORDER it never made would fail the build, naming it.
    const gateway = await createGateway({
      config: parseConfig({
        storage: { path: join(dir, "gw.db") },
        auth: { bootstrap_admin: false },
        providers: [{ name: "demo", type: "mock" }],
        models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      }),
      logger: silentLogger,
    });
    await gateway.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a build that left a part of STOP_ORDER unmade fails before it hands out the one-time bootstrap key", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-built-"));
  // Stands in for a part added to STOP_ORDER and never made: stopSteps refuses the build.
  const unmade = spyOn(BuiltSoFar.prototype, "stopSteps").mockImplementation(() => {
    throw new Error("a gateway's build made no stop for: a new part");
  });
  const shown: string[] = [];
  try {
    const failed = await createGateway({
      config: parseConfig({
        storage: { path: join(dir, "gw.db") },
        providers: [{ name: "demo", type: "mock" }],
        models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      }),
      logger: silentLogger,
      onBootstrapKey: (key) => shown.push(key),
    }).then(
      () => null,
      (error: unknown) => error,
    );
    expect((failed as Error).message).toBe("a gateway's build made no stop for: a new part");
    expect(shown).toEqual([]);
  } finally {
    unmade.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
});
