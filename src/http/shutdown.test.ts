import { describe, expect, test } from "bun:test";
import { type GatewayError, unavailable } from "../core/gateway-error.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { waitFor } from "../testing/wait-for.ts";
import { OpenRequest, Shutdown } from "./shutdown.ts";

/** An open request that tells its drain and its polls to the test. */
class TestRequest extends OpenRequest {
  constructor(
    private readonly onDrain: (reason: GatewayError) => void,
    private readonly onPoll: () => void = () => {},
  ) {
    super();
  }

  drainEnded(reason: GatewayError): void {
    this.onDrain(reason);
  }

  override clientPolled(): void {
    this.onPoll();
  }
}

const stoppable = (ended: string[], name: string) =>
  new TestRequest((reason) => ended.push(`${name}: ${reason.message}`));

/** Enters `request` and hands it back (the request is its own place in the list). */
const entered = (shutdown: Shutdown, request: OpenRequest) => {
  shutdown.enter(request);
  return request;
};

describe("Shutdown", () => {
  test("endAll tells every request still held, the oldest first; those that left are not told", () => {
    const shutdown = new Shutdown();
    const ended: string[] = [];
    const a = entered(shutdown, stoppable(ended, "a"));
    shutdown.enter(stoppable(ended, "b"));
    const c = entered(shutdown, stoppable(ended, "c"));
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
      (request) => entered(shutdown, request),
      (request) => shutdown.leave(request),
    );
    // With a Set it was most of them (321 of 500).
    expect(kept).toBeLessThan(50);
  });

  test("the poll asks every open request each tick, and stops a tick after the last one leaves", async () => {
    const shutdown = new Shutdown(5);
    expect(shutdown.polling).toBe(false);
    const asked = new Map<string, number>();
    const entries: OpenRequest[] = [];
    const polled = (name: string, leaves = false) =>
      new TestRequest(
        () => {},
        () => {
          asked.set(name, (asked.get(name) ?? 0) + 1);
          // A request its poll ends may leave at once: the walk goes on to the older ones.
          if (leaves) shutdown.leave(entries[1] as OpenRequest);
        },
      );
    entries.push(
      entered(shutdown, polled("a")),
      entered(shutdown, polled("b", true)),
      entered(shutdown, polled("c")),
    );
    expect(shutdown.polling).toBe(true);
    await waitFor("two ticks", () => (asked.get("a") ?? 0) >= 2);
    expect(asked.get("b")).toBe(1);
    expect(asked.get("c")).toBeGreaterThanOrEqual(2);
    for (const entry of entries) shutdown.leave(entry);
    await waitFor("the poll to stop", () => !shutdown.polling);
    // Armed again by the next request to enter (the same timer, refreshed).
    const again = entered(shutdown, polled("d"));
    await waitFor("a tick for the new request", () => asked.get("d") === 1);
    shutdown.leave(again);
    await waitFor("the poll to stop again", () => !shutdown.polling);
  });
});
