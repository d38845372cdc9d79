import { expect, test } from "bun:test";
import { chatRequest, fakeProvider, modelOver, routerFor } from "./router-test-kit.ts";

// `strategy: least-busy` through the router: routes tied at the fewest in flight take turns going
// first. The turns went round the whole list, so the turn of a route that was busy, or whose
// breaker was open, fell to the next route in config order: with `a` out, `b` took two turns in
// three and `c` one. The turns now go round the idle routes alone, an open breaker's among none.

const threeLeastBusy = () => {
  const config = modelOver([
    { provider: "a", type: "openai", model: "ma" },
    { provider: "b", type: "openai", model: "mb" },
    { provider: "c", type: "openai", model: "mc" },
  ]);
  return { ...config, models: config.models.map((model) => ({ ...model, strategy: "least-busy" })) };
};

const servedCounts = async (setUp: (harness: ReturnType<typeof routerFor>) => void) => {
  const providers = ["a", "b", "c"].map((name) => fakeProvider(name));
  const harness = routerFor(threeLeastBusy(), providers);
  setUp(harness);
  for (let i = 0; i < 30; i++) await harness.router(chatRequest("m"));
  return providers.map((provider) => provider.calls.length);
};

test("with one route busy, the two idle routes share sequential requests evenly", async () => {
  // A long stream on `a`, in flight throughout.
  expect(await servedCounts(({ health }) => health.begin("a/ma"))).toEqual([0, 15, 15]);
});

test("with one route's breaker open, the two others share sequential requests evenly", async () => {
  const counts = await servedCounts(({ health }) => {
    for (let i = 0; i < 5; i++) health.failed("a/ma", "down");
    expect(health.isOpen("a/ma")).toBe(true);
  });
  expect(counts).toEqual([0, 15, 15]);
});

test("all idle, each route goes first in turn", async () => {
  expect(await servedCounts(() => {})).toEqual([10, 10, 10]);
});
