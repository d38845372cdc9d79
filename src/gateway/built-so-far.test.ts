import { expect, test } from "bun:test";
import { silentLogger } from "../log/logger.ts";
import { BuiltSoFar } from "./built-so-far.ts";
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
  const built = new BuiltSoFar();
  built.made("the policy", () => {}, { named: "the embedder's policy" });
  expect(built.stopSteps().afterDrain.map((step) => step.part)).toEqual(["the embedder's policy"]);
  expect(() => built.made("the policy", () => {})).toThrow("the policy is made twice");
});
