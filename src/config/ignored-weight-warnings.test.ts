import { expect, test } from "bun:test";
import { join } from "node:path";
import { ignoredWeightWarnings, reloadIgnoredWeightWarnings } from "./ignored-weight-warnings.ts";
import { loadConfigFile, parseConfig } from "./load-config.ts";

// A route's `weight` is read only under `strategy: weighted` (routing/order-routes.ts): on any other
// strategy it changes nothing, and the routes keep their own order. Valid, so warned of at load,
// as `mindgw config check`, `mindgw serve` and a reload say their other warnings.

const providers = [{ name: "demo", type: "mock" }];
const withModels = (models: object[]) => parseConfig({ providers, models }, {});
const route = (model: string, weight?: number) => ({
  provider: "demo",
  model,
  ...(weight ? { weight } : {}),
});

test("a weight written on a model that is not weighted is warned of, naming the routes and the strategy", () => {
  expect(
    ignoredWeightWarnings(
      withModels([
        { name: "plain", routes: [route("a"), route("b")] },
        { name: "split", strategy: "priority", routes: [route("a", 3), route("b", 1)] },
        { name: "busy", strategy: "least-busy", routes: [route("a"), route("b", 2)] },
      ]),
    ),
  ).toEqual([
    "models[1] (split): routes[0].weight, routes[1].weight are read only under strategy: weighted, and its strategy is priority: they change nothing; set strategy: weighted to share its requests by weight, or remove them",
    "models[2] (busy): routes[1].weight is read only under strategy: weighted, and its strategy is least-busy: it changes nothing; set strategy: weighted to share its requests by weight, or remove it",
  ]);
});

test("weights under strategy: weighted, and routes without one, are not warned of", () => {
  const config = withModels([
    { name: "split", strategy: "weighted", routes: [route("a", 3), route("b")] },
    { name: "latency", strategy: "latency", routes: [route("a"), route("b")] },
  ]);
  expect(ignoredWeightWarnings(config)).toEqual([]);
});

test("a reload warns of the weights it newly leaves unread, not of those warned of already", () => {
  const before = withModels([{ name: "m", routes: [route("a", 2), route("b")] }]);
  const after = withModels([
    { name: "m", routes: [route("a", 2), route("b")] },
    { name: "n", routes: [route("a", 5)] },
  ]);
  expect(reloadIgnoredWeightWarnings(before, after)).toEqual([
    "models[1] (n): routes[0].weight is read only under strategy: weighted, and its strategy is priority: it changes nothing; set strategy: weighted to share its requests by weight, or remove it",
  ]);
  expect(reloadIgnoredWeightWarnings(after, after)).toEqual([]);
});

test("config.example.yaml gives no such warning", async () => {
  const example = await loadConfigFile(join(import.meta.dir, "../../config.example.yaml"), {});
  expect(ignoredWeightWarnings(example)).toEqual([]);
});
