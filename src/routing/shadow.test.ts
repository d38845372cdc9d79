import { describe, expect, test } from "bun:test";
import { upstreamError } from "../core/gateway-error.ts";
import type { ModelPlan } from "./route-table.ts";
import type { Dispatched, DispatchRequest } from "./router.ts";
import { chatRequest, fakeProvider, routerFor } from "./router-test-kit.ts";

const config = {
  providers: [
    { name: "main", type: "openai" },
    { name: "lab", type: "openai" },
  ],
  models: [
    {
      name: "m",
      routes: [{ provider: "main", model: "served" }],
      shadow: { provider: "lab", model: "candidate", sample: 0.25 },
    },
    { name: "plain", routes: [{ provider: "main", model: "served" }] },
  ],
  routing: { retries: 0 },
};

/** Records what the router hands the shadow hook, and hands the primary back unchanged. */
function recordingHook() {
  const seen: { shadow: ModelPlan["shadow"]; request: DispatchRequest; primary: Dispatched }[] = [];
  return {
    seen,
    hook: (shadow: ModelPlan["shadow"], request: DispatchRequest, primary: Dispatched) => {
      seen.push({ shadow, request, primary });
      return primary;
    },
  };
}

// The router hands every committed answer to the hook with the model's shadow; shadow/ picks the
// shadow that applies (an app's or tenant's first), samples and runs the copy (shadow-runner.ts).
describe("the router's shadow hook", () => {
  test("after the primary committed, with the model's shadow route and sample", async () => {
    const { seen, hook } = recordingHook();
    const { router } = routerFor(config, [fakeProvider("main"), fakeProvider("lab")], { shadow: hook });
    const dispatched = await router(chatRequest("m"));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.shadow?.route.label).toBe("provider:lab");
    expect(seen[0]?.shadow?.route.upstreamModel).toBe("candidate");
    expect(seen[0]?.shadow?.sample).toBe(0.25);
    expect(seen[0]?.primary).toBe(dispatched);
  });

  test("a model without a shadow still reaches the hook (a tenant's or an app's may apply)", async () => {
    const { seen, hook } = recordingHook();
    const { router } = routerFor(config, [fakeProvider("main"), fakeProvider("lab")], { shadow: hook });
    await router(chatRequest("plain"));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.shadow).toBeUndefined();
  });

  test("no shadow when the primary fails", async () => {
    const { seen, hook } = recordingHook();
    const main = fakeProvider("main", () => Promise.reject(upstreamError("down")));
    const { router } = routerFor(config, [main, fakeProvider("lab")], { shadow: hook });
    await router(chatRequest("m")).catch(() => {});
    expect(seen).toHaveLength(0);
  });
});
