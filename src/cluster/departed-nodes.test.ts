import { expect, test } from "bun:test";
import { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { DepartedNodes } from "./departed-nodes.ts";
import type { NodeEntry } from "./node-entry.ts";

const entry = (id: string): NodeEntry => ({ id, url: `http://${id}:8080`, at: 1, workers: [] });

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
