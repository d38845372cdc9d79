import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import { REFUSED_FOR_NOW, type WatchOptions, watchConfig } from "../config/watch-config.ts";
import { yieldToLoop } from "../core/yield-to-loop.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { appliedWhenLoaded, type ConfigNeeds, type ConfigQueue } from "./applied-when-loaded.ts";

/** A config of one model on the mock, or on an OpenAI provider (one the catalogue prices). */
const config = (model: string, type: "mock" | "openai" = "mock") =>
  parseConfig(
    {
      providers: [{ name: "p", type, ...(type === "openai" ? { base_url: "http://127.0.0.1:1/v1" } : {}) }],
      models: [{ name: model, routes: [{ provider: "p", model: "x" }] }],
    },
    {},
  );

const modelOf = (applied: Config) => applied.models[0]?.name;

/**
 * The catalogue's need, loaded (or failing to load) when the test says; `started` settles once
 * a load has begun, `loads()` counts the loads begun.
 */
function catalogueNeed(withinMs = 60_000) {
  let loaded = false;
  let loads = 0;
  const load = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  const needs: ConfigNeeds = {
    what: "the price catalogue",
    withinMs,
    ready: (next) => loaded || next.providers.every((provider) => provider.type === "mock"),
    load: () => {
      loads++;
      started.resolve();
      return load.promise;
    },
  };
  const finish = (error?: Error) => {
    if (error) return load.reject(error);
    loaded = true;
    load.resolve();
  };
  return { needs, finish, started: started.promise, loads: () => loads };
}

/**
 * The queue over handlers that write down what they are told, in order; `refusing`, if given, is
 * what a refusal does once written down (its promise, the refusal's turn).
 */
function queueOf(
  needs: ConfigNeeds,
  unexpected: (error: unknown) => void = () => {},
  refusing?: () => void | Promise<void>,
) {
  const told: string[] = [];
  const queue = appliedWhenLoaded(
    {
      onValid: (c) => {
        told.push(`applied ${modelOf(c)}`);
      },
      onInvalid: (error) => {
        told.push(`refused: ${error.message}`);
        return refusing?.();
      },
      onHeld: (reason) => {
        told.push(`held: ${reason}`);
      },
      onLoadedLate: (what) => {
        told.push(`loaded late: ${what}`);
      },
    },
    unexpected,
    needs,
  );
  return { queue, told };
}

test("a config that needs nothing loaded is applied at once", () => {
  const { queue, told } = queueOf(catalogueNeed().needs);
  void queue.onValid(config("one"));
  void queue.onValid(config("two"));
  expect(told).toEqual(["applied one", "applied two"]);
});

test("the first config naming a catalogued provider waits for the load, and every config after it waits its turn behind it", async () => {
  const need = catalogueNeed();
  const { queue, told } = queueOf(need.needs);
  const priced = queue.onValid(config("priced", "openai"));
  // The mock alone needs nothing, yet is applied after the one before it, never before.
  const after = queue.onValid(config("after"));
  expect(told).toEqual([]);
  need.finish();
  // Each settles once applied.
  await priced;
  expect(told[0]).toBe("applied priced");
  await after;
  expect(told).toEqual(["applied priced", "applied after"]);
  // Loaded and nothing waiting: at once again.
  void queue.onValid(config("later", "openai"));
  expect(told).toEqual(["applied priced", "applied after", "applied later"]);
});

test("an invalid or held change after a config waiting for the load waits its turn too: the last one told stands", async () => {
  const need = catalogueNeed();
  const { queue, told } = queueOf(need.needs);
  void queue.onValid(config("priced", "openai"));
  void queue.onHeld("the change removes models");
  const refused = queue.onInvalid(new Error("the edit after it is invalid"));
  expect(told).toEqual([]);
  need.finish();
  await refused;
  expect(told).toEqual([
    "applied priced",
    "held: the change removes models",
    "refused: the edit after it is invalid",
  ]);
});

test("a load that fails refuses its config in the words of the error, and the next is applied as usual", async () => {
  const need = catalogueNeed();
  const { queue, told } = queueOf(need.needs);
  void queue.onValid(config("priced", "openai"));
  const next = queue.onValid(config("after"));
  need.finish(new Error("no catalogue"));
  await next;
  expect(told).toEqual(["refused: could not apply: no catalogue", "applied after"]);
});

test("a handler that throws in a turn that waited is unexpected, not a refusal, and the turns after it run", async () => {
  const need = catalogueNeed();
  const told: string[] = [];
  const unexpected: unknown[] = [];
  const queue = appliedWhenLoaded(
    {
      onValid: (c) => {
        told.push(`applied ${modelOf(c)}`);
        // As a part told after the swap could: the config is in force all the same.
        if (modelOf(c) === "priced") throw new Error("telling a part failed");
      },
      onInvalid: (error) => {
        told.push(`refused: ${error.message}`);
      },
      onHeld: () => {},
      onLoadedLate: () => {},
    },
    (error) => unexpected.push(error),
    need.needs,
  );
  const priced = queue.onValid(config("priced", "openai"));
  const after = queue.onValid(config("after"));
  need.finish();
  // Neither promise rejects: nobody need be there to catch.
  await Promise.all([priced, after]);
  expect(told).toEqual(["applied priced", "applied after"]);
  expect(unexpected).toEqual([new Error("telling a part failed")]);
});

test("stopped before the load begins, what waits is dropped: nothing is applied or reported after, even once the load is done", async () => {
  const need = catalogueNeed();
  const { queue, told } = queueOf(need.needs);
  const loading = queue.onValid(config("priced", "openai"));
  const next = queue.onInvalid(new Error("after it"));
  queue.stop();
  need.finish();
  await Promise.all([loading, next]);
  expect(told).toEqual([]);
  // And a change told after the stop is not taken at all.
  await queue.onValid(config("later"));
  expect(told).toEqual([]);
});

test("stopped while the catalogue loads, a load that then ends applies nothing", async () => {
  const need = catalogueNeed();
  const { queue, told } = queueOf(need.needs);
  const loading = queue.onValid(config("priced", "openai"));
  await need.started;
  queue.stop();
  need.finish();
  await loading;
  // The load has had its turns to be applied (the stop settled `loading` at once), and was not.
  await yieldToLoop();
  expect(told).toEqual([]);
});

test("stopped while the catalogue loads, a load that then fails refuses nothing", async () => {
  const need = catalogueNeed();
  const { queue, told } = queueOf(need.needs);
  const loading = queue.onValid(config("priced", "openai"));
  await need.started;
  queue.stop();
  need.finish(new Error("no catalogue"));
  await loading;
  // The failed load has had its turns to be reported (the stop settled `loading` at once), and was not.
  await yieldToLoop();
  expect(told).toEqual([]);
});

test("stopped while a load never settles, every change told settles: none waits past the stop", async () => {
  const need = catalogueNeed();
  const { queue, told } = queueOf(need.needs);
  const loading = queue.onValid(config("priced", "openai"));
  const behind = [queue.onInvalid(new Error("a later edit")), queue.onValid(config("after"))];
  await need.started;
  queue.stop();
  await Promise.all([loading, ...behind]);
  expect(told).toEqual([]);
});

test("a load that does not settle within its limit refuses its config, and the changes after it are taken", async () => {
  const need = catalogueNeed(5);
  const { queue, told } = queueOf(need.needs);
  const loading = queue.onValid(config("priced", "openai"));
  const after = queue.onValid(config("after"));
  await Promise.all([loading, after]);
  expect(told).toEqual([
    "refused: could not apply: the price catalogue did not load within 0.005 s",
    "applied after",
  ]);
});

test("a config refused because its load failed or was late settles as refused for now; one applied settles with nothing", async () => {
  const late = catalogueNeed(5);
  const { queue, told } = queueOf(late.needs);
  expect(await queue.onValid(config("late", "openai"))).toBe(REFUSED_FOR_NOW);
  const failing = catalogueNeed();
  const failed = queueOf(failing.needs);
  const refused = failed.queue.onValid(config("failed", "openai"));
  failing.finish(new Error("no catalogue"));
  expect(await refused).toBe(REFUSED_FOR_NOW);
  // The refusal is told as before: the text is not at fault, yet the operator hears it now.
  expect([...told, ...failed.told]).toEqual([
    "refused: could not apply: the price catalogue did not load within 0.005 s",
    "refused: could not apply: no catalogue",
  ]);
  expect(await queue.onValid(config("after"))).toBeUndefined();
  late.finish();
  expect(await queue.onValid(config("loaded", "openai"))).toBeUndefined();
});

test("a config refused because its load ran past its limit is applied once the load ends, said once, and its source told it is in force", async () => {
  const need = catalogueNeed(5);
  const { queue, told } = queueOf(need.needs);
  let inForce = 0;
  expect(await queue.onValid(config("late", "openai"), () => inForce++)).toBe(REFUSED_FOR_NOW);
  need.finish();
  await waitForValue("the refused config applied", () => told[2]);
  expect(told).toEqual([
    "refused: could not apply: the price catalogue did not load within 0.005 s",
    "loaded late: the price catalogue",
    "applied late",
  ]);
  expect(inForce).toBe(1);
});

test("a load past its limit that then ends applies nothing when a change was told after the config refused for it: the newer one stands", async () => {
  for (const after of ["valid", "invalid", "held"] as const) {
    const need = catalogueNeed(5);
    const { queue, told } = queueOf(need.needs);
    let inForce = 0;
    await queue.onValid(config("late", "openai"), () => inForce++);
    if (after === "valid") await queue.onValid(config("after"));
    else if (after === "invalid") await queue.onInvalid(new Error("the edit after it is invalid"));
    else await queue.onHeld("the change removes models");
    const before = [...told];
    need.finish();
    // The load's end has had its turns to apply the refused config, and did not.
    await yieldToLoop();
    await yieldToLoop();
    expect(told).toEqual(before);
    expect(inForce).toBe(0);
  }
});

test("while a load runs past its limit, a config that needs it is refused at once, not held for the limit again, and is the one applied when the load ends", async () => {
  const need = catalogueNeed(5);
  const { queue, told } = queueOf(need.needs);
  await queue.onValid(config("first", "openai"));
  expect(await queue.onValid(config("second", "openai"))).toBe(REFUSED_FOR_NOW);
  // The same load, not a second one waited for up to its limit.
  expect(need.loads()).toBe(1);
  need.finish();
  await waitForValue("the newest refused config applied", () => told[3]);
  expect(told).toEqual([
    "refused: could not apply: the price catalogue did not load within 0.005 s",
    "refused: could not apply: the price catalogue is still loading, past its 0.005 s limit",
    "loaded late: the price catalogue",
    "applied second",
  ]);
});

test("a load past its limit that then fails applies nothing: the next reload loads again", async () => {
  const need = catalogueNeed(5);
  const { queue, told } = queueOf(need.needs);
  await queue.onValid(config("late", "openai"));
  need.finish(new Error("no catalogue"));
  await yieldToLoop();
  await yieldToLoop();
  expect(told).toEqual(["refused: could not apply: the price catalogue did not load within 0.005 s"]);
  // No longer known late: the next config that needs it loads it again (failing at once here).
  expect(await queue.onValid(config("again", "openai"))).toBe(REFUSED_FOR_NOW);
  expect(need.loads()).toBe(2);
  expect(told[1]).toBe("refused: could not apply: no catalogue");
});

/** A config file of `models` on the mock, or on an OpenAI provider (one the catalogue prices). */
const yaml = (type: "mock" | "openai", ...models: string[]) =>
  `providers:\n  - { name: p, type: ${type}${type === "openai" ? ", base_url: 'http://127.0.0.1:1/v1'" : ""} }\nmodels:\n${models.map((model) => `  - { name: ${model}, routes: [{ provider: p, model: x }] }\n`).join("")}`;

/**
 * A config file reading `text`, edited from `inForce` before its watch over `queue` starts (so it
 * is read at once, no event coming after); `close` stops both and removes it.
 */
function watchedFile(text: string, inForce: string, queue: ConfigQueue, options: WatchOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-applied-when-loaded-"));
  const file = join(dir, "gw.yaml");
  writeFileSync(file, text);
  const watch = watchConfig(file, queue, { settleMs: 10, initialText: inForce, ...options });
  return {
    watch,
    write: (next: string) => writeFileSync(file, next),
    close() {
      watch.stop();
      queue.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const LATE = "refused: could not apply: the price catalogue did not load within 0.005 s";
const STILL_LATE = "refused: could not apply: the price catalogue is still loading, past its 0.005 s limit";

/** A file asking for a priced model whose catalogue is late (5 ms), watched, a mock config in force. */
function latePricedFile(refusing?: () => void) {
  const need = catalogueNeed(5);
  const { queue, told } = queueOf(need.needs, undefined, refusing);
  return { need, told, ...watchedFile(yaml("openai", "priced"), yaml("mock", "mock"), queue) };
}

/**
 * After what was `toldFirst`, the load's end applied the refused config once, and the watch took
 * its text for the one in force: a SIGHUP applies nothing.
 */
async function expectAppliedOnceAndTaken(
  told: readonly string[],
  watch: { reload(): Promise<boolean> },
  toldFirst: readonly string[],
): Promise<void> {
  expect(told).toEqual([...toldFirst, "loaded late: the price catalogue", "applied priced"]);
  expect(await watch.reload()).toBe(false);
  expect(told).toHaveLength(toldFirst.length + 2);
}

test("a file whose config was refused because its load was late is applied when the load ends, and its watch takes the text for the one in force", async () => {
  const { need, told, watch, close } = latePricedFile();
  try {
    await waitForValue("the late load's refusal", () => told[0]);
    need.finish();
    await waitForValue("the refused config applied", () => told[2]);
    // A SIGHUP: the file says what is in force, nothing to apply.
    await expectAppliedOnceAndTaken(told, watch, [LATE]);
  } finally {
    close();
  }
});

test("a late load that ends while its config's refusal is told applies it once, and the file's watch still takes its text for the one in force", async () => {
  // As the gateway's logger, the refusal is told synchronously: the load ends meanwhile.
  const { need, told, watch, close } = latePricedFile(() => need.finish());
  try {
    await waitForValue("the refused config applied", () => told[2]);
    // The watch heard the refusal after the late apply had told it the config was in force: a
    // SIGHUP applied the same text again.
    await expectAppliedOnceAndTaken(told, watch, [LATE]);
  } finally {
    close();
  }
});

test("a SIGHUP between a late refusal and the load's end reads the file again, refused at once; the load's end applies it once, and the watch takes it", async () => {
  const { need, told, watch, close } = latePricedFile();
  try {
    await waitForValue("the late load's refusal", () => told[0]);
    // Refused for now: the same text is a change again, and is refused at once, the load still late.
    expect(await watch.reload()).toBe(true);
    expect(told).toEqual([LATE, STILL_LATE]);
    need.finish();
    await waitForValue("the refused config applied", () => told[3]);
    await expectAppliedOnceAndTaken(told, watch, [LATE, STILL_LATE]);
  } finally {
    close();
  }
});

test("a held change between a late refusal and the load's end stands once applied: the load's end applies nothing", async () => {
  const need = catalogueNeed(5);
  const { queue, told } = queueOf(need.needs);
  const inForce = yaml("mock", "first", "second");
  // The settling and confirmation reads come at once: the held change is the file's, not a write under way.
  const wait = () => Promise.resolve();
  const { watch, write, close } = watchedFile(yaml("openai", "priced", "second"), inForce, queue, { wait });
  try {
    await waitForValue("the late load's refusal", () => told[0]);
    // Against the config in force, not the refused one: `second` removed, so held first.
    write(yaml("mock", "first"));
    await waitForValue("the held change applied", () => told[2]);
    expect(told).toEqual([
      LATE,
      expect.stringContaining("held: the change removes models (2 → 1)"),
      "applied first",
    ]);
    need.finish();
    // The load's end has had its turns to apply the refused config, and did not.
    await yieldToLoop();
    await yieldToLoop();
    expect(told).toHaveLength(3);
    expect(await watch.reload()).toBe(false);
  } finally {
    close();
  }
});

test("a stop while the late apply waits its turn applies nothing, nor tells the source it is in force", async () => {
  const need = catalogueNeed(5);
  const refusal = Promise.withResolvers<void>();
  // The load ends while the refusal is told, its turn not over: the late apply waits behind it.
  const { queue, told } = queueOf(need.needs, undefined, () => {
    need.finish();
    return refusal.promise;
  });
  let inForce = 0;
  const refused = queue.onValid(config("late", "openai"), () => inForce++);
  await waitForValue("the late load's refusal", () => told[0]);
  await yieldToLoop();
  queue.stop();
  refusal.resolve();
  await refused;
  await yieldToLoop();
  await yieldToLoop();
  expect(told).toEqual([LATE]);
  expect(inForce).toBe(0);
});
