import { describe, expect, test } from "bun:test";
import { unavailable } from "../core/gateway-error.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { waitFor } from "../testing/wait-for.ts";
import { Shutdown, type ShutdownEntry, type StoppableRequest } from "./shutdown.ts";

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

  test("the poll asks every open request each tick, and stops a tick after the last one leaves", async () => {
    const shutdown = new Shutdown(5);
    expect(shutdown.polling).toBe(false);
    const asked = new Map<string, number>();
    const entries: ShutdownEntry[] = [];
    const polled = (name: string, leaves = false): StoppableRequest => ({
      drainEnded: () => {},
      clientPolled: () => {
        asked.set(name, (asked.get(name) ?? 0) + 1);
        // A request its poll ends may leave at once: the walk goes on to the older ones.
        if (leaves) shutdown.leave(entries[1] as ShutdownEntry);
      },
    });
    entries.push(shutdown.enter(polled("a")), shutdown.enter(polled("b", true)), shutdown.enter(polled("c")));
    expect(shutdown.polling).toBe(true);
    await waitFor("two ticks", () => (asked.get("a") ?? 0) >= 2);
    expect(asked.get("b")).toBe(1);
    expect(asked.get("c")).toBeGreaterThanOrEqual(2);
    for (const entry of entries) shutdown.leave(entry);
    await waitFor("the poll to stop", () => !shutdown.polling);
    // Armed again by the next request to enter (the same timer, refreshed).
    const again = shutdown.enter(polled("d"));
    await waitFor("a tick for the new request", () => asked.get("d") === 1);
    shutdown.leave(again);
    await waitFor("the poll to stop again", () => !shutdown.polling);
  });
});
