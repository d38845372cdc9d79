import { expect, test } from "bun:test";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchOrigins } from "./batch-origins.ts";

// The last resource and scope are answered by identity (batch-origins.ts): one that turns up
// between two of another's must still get its own number, and each is sent once.

test("resources and scopes taking turns keep their own numbers, each sent with the first batch that names it", () => {
  const origins = new BatchOrigins();
  const gateway = resourceFromAttributes({ "service.name": "mindgw" });
  const embedder = resourceFromAttributes({ "service.name": "embedder" });
  const mindgw = { name: "mindgw", version: "1.0.0" };
  const other = { name: "embedder" };

  const g = origins.resourceOf(gateway);
  const m = origins.scopeOf(mindgw);
  expect(origins.resourceOf(gateway)).toBe(g);
  expect(origins.scopeOf(mindgw)).toBe(m);
  const e = origins.resourceOf(embedder);
  const o = origins.scopeOf(other);
  expect(new Set([g, m, e, o]).size).toBe(4);
  expect(origins.resourceOf(gateway)).toBe(g);
  expect(origins.scopeOf(mindgw)).toBe(m);
  expect(origins.resourceOf(embedder)).toBe(e);
  expect(origins.scopeOf(other)).toBe(o);
  // A scope object of the same name, version and schema is the same scope.
  expect(origins.scopeOf({ name: "mindgw", version: "1.0.0" })).toBe(m);

  const first = origins.take();
  expect(first.resources.map((r) => r.id)).toEqual([g, e]);
  expect(first.scopes.map((s) => s.id)).toEqual([m, o]);
  expect(origins.resourceOf(gateway)).toBe(g);
  expect(origins.resourceOf(embedder)).toBe(e);
  expect(origins.take()).toEqual({ resources: [], scopes: [] });
});
