import { edenGC, fullGC } from "bun:jsc";
import { describe, expect, test } from "bun:test";
import { unavailable } from "../core/gateway-error.ts";
import { Shutdown, type StoppableRequest } from "./shutdown.ts";

const stoppable = (ended: string[], name: string): StoppableRequest => ({
  drainEnded: (reason) => ended.push(`${name}: ${reason.message}`),
});

describe("Shutdown", () => {
  test("endAll tells every request still held, the oldest first; those that left are not told", () => {
    const shutdown = new Shutdown();
    const ended: string[] = [];
    const a = shutdown.enter(stoppable(ended, "a"));
    shutdown.enter(stoppable(ended, "b"));
    const c = shutdown.enter(stoppable(ended, "c"));
    const releaseD = shutdown.hold((reason) => ended.push(`d: ${reason.message}`));
    shutdown.enter(stoppable(ended, "e"));
    shutdown.leave(a);
    shutdown.leave(c);
    shutdown.leave(c); // twice: nothing
    releaseD();
    shutdown.endAll(unavailable("stopping"));
    expect(ended).toEqual(["b: stopping", "e: stopping"]);
    // Ended by the stop: a late leave changes nothing, and a second stop tells nobody.
    shutdown.endAll(unavailable("again"));
    expect(ended).toEqual(["b: stopping", "e: stopping"]);
  });

  test("a request that left is not kept alive by young collections (a long-lived Set was)", async () => {
    const shutdown = new Shutdown();
    // Long-lived, as the gateway's: used at some concurrency, then fully collected (old).
    for (let round = 0; round < 50; round++) {
      const entries = Array.from({ length: 32 }, () => shutdown.enter(stoppable([], "warm")));
      for (const entry of entries) shutdown.leave(entry);
    }
    fullGC();
    const refs: WeakRef<StoppableRequest>[] = [];
    const open: ReturnType<Shutdown["enter"]>[] = [];
    for (let i = 0; i < 500; i++) {
      const request = stoppable([], `r${i}`);
      refs.push(new WeakRef(request));
      open.push(shutdown.enter(request));
      // Eight at a time, leaving in no particular order.
      if (open.length > 8) shutdown.leave(open.splice((i * 7) % open.length, 1)[0] ?? open[0]!);
    }
    for (const entry of open.splice(0)) shutdown.leave(entry);
    // A WeakRef keeps its target until the job that made it ends: end it (a turn, not a wait).
    await new Promise((resolve) => setImmediate(resolve));
    edenGC();
    const kept = refs.filter((ref) => ref.deref() !== undefined).length;
    // A few may be held by the stack (conservative roots); with a Set it was most of them.
    expect(kept).toBeLessThan(50);
  });
});
