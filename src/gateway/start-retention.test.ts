import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { CONTAINER_RECORD_MS } from "../http/containers-in-scope.ts";
import { createMemoryResponseStore } from "../storage/memory/memory-response-store.ts";
import type { RepeatEvery } from "../storage/response-retention.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { startRetention } from "./start-retention.ts";

// The container record (ResponseStore.noteContainers) is pruned by a pass of its own, not as it is
// written: the answer of a request with a code interpreter waits for the write alone.

const config = parseConfig({ providers: [{ name: "demo", type: "mock" }], models: [] }, {});

/** Every pass asked for, by how often, run when the test says. */
function manualPasses() {
  const passes: { everyMs: number; pass: () => Promise<void> }[] = [];
  const every: RepeatEvery = (pass, everyMs) => {
    passes.push({ everyMs, pass });
    return () => {};
  };
  return { passes, every };
}

test("entries of the container record not seen for a day go in a pass a minute apart, any number of them; a failed pass is logged", async () => {
  const responses = createMemoryResponseStore();
  const now = Date.now();
  const old = Array.from({ length: 2_500 }, (_, i) => `cntr_old${i}`);
  await responses.noteContainers?.("acme", old, now - CONTAINER_RECORD_MS - 1);
  await responses.noteContainers?.("acme", ["cntr_new"], now);
  const { logger, lines } = recordingLogger();
  const { passes, every } = manualPasses();
  startRetention({ responses }, config, logger, every);
  // Each at most a minute apart: an entry outlives its day by a minute at most.
  expect(passes.every((scheduled) => scheduled.everyMs <= 60_000)).toBe(true);
  const run = async () => {
    for (const scheduled of passes) await scheduled.pass();
  };
  await run();
  expect(await responses.containersSeen?.("acme", [...old, "cntr_new"], 0)).toEqual(["cntr_new"]);

  responses.forgetContainers = () => Promise.reject(new Error("database down"));
  await run();
  expect(lines).toContainEqual({
    level: "warn",
    message: "pruning the container record failed: database down",
  });
});
