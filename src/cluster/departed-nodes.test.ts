import { expect, test } from "bun:test";
import { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { DepartedNodes, returnHoldMs } from "./departed-nodes.ts";
import type { NodeEntry } from "./node-entry.ts";
import { MAX_RECONNECT_DELAY_MS } from "./redis-link.ts";

const entry = (id: string, instance?: string): NodeEntry => ({
  id,
  url: `http://${id}:8080`,
  at: 1,
  workers: [],
  ...(instance === undefined ? {} : { instance }),
});

/** What `departed` told, read by read. */
function told(departed: (bus: EventBus) => DepartedNodes, reads: NodeEntry[][]) {
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.tap("test", (event) => void events.push(event), ["node.left"]);
  const nodes = departed(bus);
  for (const entries of reads) nodes.read(entries);
  return events.map((event) =>
    event.type === "node.left" ? [event.node, event.instance ?? null] : event.type,
  );
}

test("a node listed at one read and not the next is told left, once; this node and nodes never seen are not", () => {
  const bus = new EventBus();
  const told: GatewayEvent[] = [];
  bus.tap("test", (event) => void told.push(event), ["node.left"]);
  const departed = new DepartedNodes("self", bus);
  departed.read([entry("self"), entry("a"), entry("b")]);
  departed.read([entry("self"), entry("b"), entry("c")]);
  departed.read([entry("b"), entry("c")]);
  departed.read([entry("b"), entry("c")]);
  expect(told.map((event) => (event.type === "node.left" ? event.node : event.type))).toEqual(["a"]);
});

// A node killed and started again under the same id (its default name, advertise_url's host:port,
// survives a restart) before a read saw its entry gone: the process that took its requests left
// all the same, its entry now another instance's.
test("a node listed again by another instance (restarted under its id) is told left as its old instance; the same instance again, nothing", () => {
  expect(
    told(
      (bus) => new DepartedNodes("self", bus),
      [
        [entry("self", "s1"), entry("a", "a1"), entry("b", "b1")],
        [entry("self", "s2"), entry("a", "a2"), entry("b", "b1")],
        [entry("a", "a2"), entry("b", "b1")],
        [entry("b", "b1")],
      ],
    ),
  ).toEqual([
    ["a", "a1"],
    ["a", "a2"],
  ]);
});

test("an entry of a release before instances: told left by its id alone, once gone", () => {
  expect(told((bus) => new DepartedNodes("self", bus), [[entry("a")], [entry("a")], []])).toEqual([
    ["a", null],
  ]);
});

// A Redis restarted empty: every entry gone, each written again only as its node is back, each
// node on its own reconnect schedule (up to MAX_RECONNECT_DELAY_MS apart, plus connect and vouch).
test("after this node's return to Redis a node missing is not told left until its entry's time to live, the reconnect cap and redis_timeout pass; listed again, never; still missing past that, told then", () => {
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.tap("test", (event) => void events.push(event), ["node.left"]);
  let now = 0;
  // The defaults: cluster.heartbeat 1 s, cluster.redis_timeout 2 s.
  const settings = { heartbeat: 1_000, redis_timeout: 2_000 };
  const hold = returnHoldMs(settings);
  expect(hold).toBe(3 * 1_000 + MAX_RECONNECT_DELAY_MS + 2_000);
  const departed = new DepartedNodes("self", bus, settings, () => now);
  departed.read([entry("self"), entry("a", "a1"), entry("b", "b1")]);
  departed.back();
  departed.read([entry("self")]);
  // A peer back 1.5 s after this node (past one heartbeat), the other later still.
  now = 1_500;
  departed.read([entry("self"), entry("a", "a1")]);
  now = hold - 1;
  departed.read([entry("self"), entry("a", "a1")]);
  expect(events).toEqual([]);
  now = hold;
  departed.read([entry("self"), entry("a", "a1")]);
  expect(events.map((event) => (event.type === "node.left" ? event.node : event.type))).toEqual(["b"]);
});

test("reaching Redis before any read (a node's first connect) holds nothing: a node gone later is told at once", () => {
  let now = 0;
  expect(
    told(
      (bus) => {
        const departed = new DepartedNodes(
          "self",
          bus,
          { heartbeat: 1_000, redis_timeout: 2_000 },
          () => now,
        );
        departed.back();
        now = 3_000;
        return departed;
      },
      [[entry("self"), entry("a", "a1")], [entry("self")]],
    ),
  ).toEqual([["a", "a1"]]);
});
