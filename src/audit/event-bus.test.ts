import { describe, expect, test } from "bun:test";
import { recordingLogger } from "../testing/recording-logger.ts";
import { EventBus } from "./event-bus.ts";
import type { GatewayEvent } from "./gateway-event.ts";
import { ListenerFaults } from "./listener-faults.ts";

const reloaded = (version: number): GatewayEvent => ({ type: "config.reloaded", at: version, version });

async function take(iterator: AsyncIterator<GatewayEvent>, n: number): Promise<GatewayEvent[]> {
  const out: GatewayEvent[] = [];
  for (let i = 0; i < n; i++) {
    const next = await iterator.next();
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

describe("EventBus", () => {
  test("another node's events reach only the consumers that asked for them, never a tap", async () => {
    const bus = new EventBus();
    const tapped: GatewayEvent[] = [];
    bus.tap("a test's listener", (event) => tapped.push(event));
    const own = bus.subscribe();
    const live = bus.subscribe({ relayed: true, filter: (event) => event.type === "config.reloaded" });
    expect(bus.relayedReaders).toBe(1);
    bus.deliverRelayed(reloaded(1));
    bus.deliverRelayed({ type: "config.rejected", at: 2, error: "filtered out" });
    bus.publish(reloaded(3));
    expect(await take(live, 2)).toEqual([reloaded(1), reloaded(3)]);
    expect(await take(own, 1)).toEqual([reloaded(3)]);
    expect(tapped).toEqual([reloaded(3)]);
    live.close();
    expect(bus.relayedReaders).toBe(0);
  });

  test("the first consumer of other nodes' events and the last one's close are told, once each; other consumers are not", () => {
    const bus = new EventBus();
    let told = 0;
    bus.onRelayedReaders(() => told++);
    const own = bus.subscribe();
    expect(told).toBe(0);
    const first = bus.subscribe({ relayed: true });
    const second = bus.subscribe({ relayed: true });
    expect(told).toBe(1);
    first.close();
    own.close();
    expect(told).toBe(1);
    second.close();
    expect(told).toBe(2);
  });

  test("a waiting consumer gets each event as it is published", async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    const pending = take(sub, 2);
    bus.publish(reloaded(1));
    bus.publish(reloaded(2));
    expect(await pending).toEqual([reloaded(1), reloaded(2)]);
  });

  test("a consumer that never reads costs the publisher nothing and misses an exact count", async () => {
    const bus = new EventBus();
    const idle = bus.subscribe({ bufferSize: 100 });
    const live = bus.subscribe({ bufferSize: 100_000 });
    for (let i = 1; i <= 10_000; i++) bus.publish(reloaded(i));
    const first = await take(idle, 101);
    expect(first[0]).toMatchObject({ type: "events.missed", count: 9_900 });
    // What is left is the newest events, in order.
    expect(first.slice(1)).toEqual(Array.from({ length: 100 }, (_, i) => reloaded(9_901 + i)));
    expect((await take(live, 10_000)).length).toBe(10_000);
  });

  test("losses between reads add up, and the notice comes where the gap is", async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({ bufferSize: 10 });
    for (let i = 1; i <= 25; i++) bus.publish(reloaded(i));
    expect(await take(sub, 3)).toEqual([
      { type: "events.missed", at: expect.any(Number), count: 15 },
      reloaded(16),
      reloaded(17),
    ]);
    for (let i = 26; i <= 30; i++) bus.publish(reloaded(i));
    const rest = await take(sub, 11);
    // 18..25 were still buffered; five more overflowed the ten slots by three.
    expect(rest[0]).toMatchObject({ type: "events.missed", count: 3 });
    expect(rest.slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => reloaded(21 + i)));
  });

  test("a consumer behind for longer than maxLagMs is dropped, told first how many it lost (what overflowed and what was still buffered); one that caught up is not", async () => {
    let now = 0;
    const bus = new EventBus(() => now);
    const slow = bus.subscribe({ bufferSize: 5, maxLagMs: 1000 });
    const recovering = bus.subscribe({ bufferSize: 5, maxLagMs: 1000 });
    for (let i = 1; i <= 6; i++) bus.publish(reloaded(i));
    now = 500;
    expect((await take(recovering, 6)).length).toBe(6); // drained: no longer behind
    bus.publish(reloaded(7));
    expect(slow.closeReason).toBeNull();
    now = 1200;
    for (let i = 8; i <= 14; i++) bus.publish(reloaded(i));
    expect(slow.closeReason).toBe("dropped");
    expect(recovering.closeReason).toBeNull();
    // 1..8: three overflowed, five were buffered; 9..14 came after it was dropped.
    expect(await slow.next()).toEqual({ value: { type: "events.missed", at: 1200, count: 8 }, done: false });
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    expect(bus.size).toBe(1);
  });

  test("the filter decides what a consumer buffers", async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({ filter: (e) => e.type === "config.rejected" });
    bus.publish(reloaded(1));
    bus.publish({ type: "config.rejected", at: 2, error: "bad" });
    expect(await take(sub, 1)).toEqual([{ type: "config.rejected", at: 2, error: "bad" }]);
  });

  test("close() ends the iteration, also for a consumer waiting in for-await", async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    const seen: GatewayEvent[] = [];
    const loop = (async () => {
      for await (const event of sub) seen.push(event);
    })();
    bus.publish(reloaded(1));
    await Promise.resolve();
    sub.close();
    await loop;
    expect(seen).toEqual([reloaded(1)]);
    expect(sub.closeReason).toBe("closed");
    expect(bus.size).toBe(0);
  });

  test("a listener that throws loses only its own deliveries: the others get every event, the burst is one warning with the event's type and its words (never the event), and each throw is counted", async () => {
    const { logger, lines } = recordingLogger();
    const faults = new ListenerFaults(logger);
    const bus = new EventBus(Date.now, faults);
    const heard: GatewayEvent[] = [];
    bus.tap("the broken listener", () => {
      throw new Error("cannot read properties of undefined");
    });
    bus.tap("a test's listener", (event) => heard.push(event));
    const live = bus.subscribe({
      filter: (event) => {
        if (event.type === "config.rejected") throw new TypeError("filter broke");
        return true;
      },
    });
    const secret: GatewayEvent = { type: "config.rejected", at: 9, error: "the body a listener never shows" };
    for (let i = 1; i <= 5; i++) bus.publish(reloaded(i));
    bus.publish(secret);
    expect(heard).toEqual([...Array.from({ length: 5 }, (_, i) => reloaded(i + 1)), secret]);
    expect(await take(live, 5)).toEqual(Array.from({ length: 5 }, (_, i) => reloaded(i + 1)));
    expect(lines).toEqual([
      {
        level: "warn",
        message: "the broken listener failed: Error: cannot read properties of undefined",
        fields: { event: "config.reloaded" },
      },
      {
        level: "warn",
        message: "a live event stream's filter failed: TypeError: filter broke",
        fields: { event: "config.rejected" },
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain("never shows");
    expect(faults.total).toBe(7);
  });

  test("a listener that throws what has no words (an object with no toString, an Error whose message getter throws), or a logger that throws while saying it, costs its own delivery alone: publish returns, the others get the event, each throw is counted", () => {
    const unreadable = new Error("never read");
    Object.defineProperty(unreadable, "message", {
      get() {
        throw new Error("message getter broke");
      },
    });
    for (const throwing of [false, true]) {
      const { logger, lines } = recordingLogger(throwing);
      const faults = new ListenerFaults(logger);
      const bus = new EventBus(Date.now, faults);
      const heard: GatewayEvent[] = [];
      bus.tap("the bare object's listener", () => {
        throw Object.create(null);
      });
      bus.tap("the unreadable error's listener", () => {
        throw unreadable;
      });
      bus.tap("a test's listener", (event) => heard.push(event));
      const live = bus.subscribe({
        filter: () => {
          throw Object.create(null);
        },
      });
      bus.publish(reloaded(1));
      bus.publish(reloaded(2));
      expect(heard).toEqual([reloaded(1), reloaded(2)]);
      expect(faults.total).toBe(6);
      // Subscribers are offered an event before the taps are called.
      expect(lines.map((line) => line.message)).toEqual([
        "a live event stream's filter failed: an error whose words cannot be read",
        "the bare object's listener failed: an error whose words cannot be read",
        "the unreadable error's listener failed: an error whose words cannot be read",
      ]);
      live.close();
    }
  });
});
