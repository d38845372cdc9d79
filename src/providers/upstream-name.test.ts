import { describe, expect, test } from "bun:test";
import { namedWorker, upstreamName } from "./upstream-name.ts";

describe("upstreamName: one name for an upstream in every message", () => {
  test("a configured provider by its config name, from its name or its route's label alike", () => {
    expect(upstreamName("fa")).toBe("upstream fa");
    expect(upstreamName("provider:fa")).toBe("upstream fa");
  });

  test("a worker by its own name, on this node or another", () => {
    expect(upstreamName("worker:w1")).toBe("worker w1");
    expect(upstreamName("worker:w1@node-2")).toBe("worker w1@node-2");
    expect(namedWorker("w1")).toBe(upstreamName("worker:w1"));
  });
});
