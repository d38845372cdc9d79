import { describe, expect, test } from "bun:test";
import { upstreamError } from "../core/gateway-error.ts";
import type { Route } from "./route.ts";
import type { Dispatched, DispatchRequest } from "./router.ts";
import { chatRequest, fakeProvider, routerFor } from "./router-test-kit.ts";

const config = (sample: number) => ({
  providers: [
    { name: "main", type: "openai" },
    { name: "lab", type: "openai" },
  ],
  models: [
    {
      name: "m",
      routes: [{ provider: "main", model: "served" }],
      shadow: { provider: "lab", model: "candidate", sample },
    },
  ],
  routing: { retries: 0 },
});

/** Records what the router hands the shadow hook, and hands the primary back unchanged. */
function recordingHook() {
  const seen: { route: Route; request: DispatchRequest; primary: Dispatched }[] = [];
  return {
    seen,
    hook: (route: Route, request: DispatchRequest, primary: Dispatched) => {
      seen.push({ route, request, primary });
      return primary;
    },
  };
}

// The router decides whether a request is mirrored; shadow/ runs the copy (shadow-runner.test.ts).
describe("shadow sampling in the router", () => {
  test("a sampled request reaches the hook after the primary committed, with the shadow route", async () => {
    const { seen, hook } = recordingHook();
    const { router } = routerFor(config(1), [fakeProvider("main"), fakeProvider("lab")], { shadow: hook });
    const dispatched = await router(chatRequest("m"));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.route.label).toBe("provider:lab");
    expect(seen[0]?.route.upstreamModel).toBe("candidate");
    expect(seen[0]?.primary).toBe(dispatched);
  });

  test("the sample rate decides, through the injected random source", async () => {
    const providers = [fakeProvider("main"), fakeProvider("lab")];
    const skipped = recordingHook();
    await routerFor(config(0.5), providers, { random: () => 0.7, shadow: skipped.hook }).router(
      chatRequest("m"),
    );
    expect(skipped.seen).toHaveLength(0);
    const sampled = recordingHook();
    await routerFor(config(0.5), providers, { random: () => 0.3, shadow: sampled.hook }).router(
      chatRequest("m"),
    );
    expect(sampled.seen).toHaveLength(1);
  });

  test("no shadow when the primary fails", async () => {
    const { seen, hook } = recordingHook();
    const main = fakeProvider("main", () => Promise.reject(upstreamError("down")));
    const { router } = routerFor(config(1), [main, fakeProvider("lab")], { shadow: hook });
    await router(chatRequest("m")).catch(() => {});
    expect(seen).toHaveLength(0);
  });
});
