import { expect, test } from "bun:test";
import { truncationSigns } from "./truncation-signs.ts";

const before = `server: { port: 1, max_body: 1MB }
models:
  - { name: a, routes: [{ provider: p, model: x }] }
  - { name: b, routes: [{ provider: p, model: x }, { provider: q, model: y }] }
tenants: [{ name: t1 }]
`;

test("edits of values and additions show no sign of a cut", () => {
  expect(truncationSigns(before, before.replace("port: 1", "port: 2"))).toEqual([]);
  expect(truncationSigns(before, before.replace("[{ name: t1 }]", "[{ name: t1 }, { name: t2 }]"))).toEqual(
    [],
  );
  expect(truncationSigns(before, `${before}log: { level: debug }\n`)).toEqual([]);
});

test("whatever the previous file had and this one lacks is named, at any depth", () => {
  expect(truncationSigns(before, before.replace(", max_body: 1MB", ""))).toEqual(["removes server.max_body"]);
  expect(truncationSigns(before, before.replace(", { provider: q, model: y }", ""))).toEqual([
    "removes models[1].routes (2 → 1)",
  ]);
  // Cut right after `models:`: the list is null, and the sections after it are gone.
  expect(truncationSigns(before, "server: { port: 1, max_body: 1MB }\nmodels:\n")).toEqual([
    "removes models, tenants",
  ]);
  expect(truncationSigns(before, "tenants: []\n")).toEqual(["removes server, models, tenants (1 → 0)"]);
});

test("a last line cut short is a sign, unless the previous file had no final line break either", () => {
  expect(truncationSigns(before, `${before}x: abc`)).toEqual(["ends mid-line"]);
  expect(truncationSigns(before.trimEnd(), `${before}x: abc`)).toEqual([]);
});

test("many removals are counted past the first five", () => {
  const many = (n: number) => `keys:\n${Array.from({ length: n }, (_, i) => `  k${i}: ${i}\n`).join("")}`;
  expect(truncationSigns(many(8), "keys: { k7: 7 }\n")).toEqual([
    "removes keys.k0, keys.k1, keys.k2, keys.k3, keys.k4 and 2 more",
  ]);
});
