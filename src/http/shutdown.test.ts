import { describe, expect, test } from "bun:test";
import { unavailable } from "../core/gateway-error.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
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
    const kept = await keptAfterChurn(
      (i) => stoppable([], `r${i}`),
      (request) => shutdown.enter(request),
      (entry) => shutdown.leave(entry),
    );
    // With a Set it was most of them (321 of 500).
    expect(kept).toBeLessThan(50);
  });
});
