import { describe, expect, test } from "bun:test";
import { type GatewayError, upstreamError } from "../core/gateway-error.ts";
import { waitFor } from "../testing/wait-for.ts";
import {
  BREAKER,
  chatRequest,
  fakeProvider,
  jsonReply,
  never,
  routerFor,
  twoRoutes,
} from "./router-test-kit.ts";

// The route breaker: opened by failures, probed back after its cooldown, one probe at a time,
// and what a caller hears while every route is out. What it counts: router-breaker-counted.test.ts;
// the gateway's workers: router-breaker-workers.test.ts; the probe: router-breaker-probe.test.ts.

describe("router with the circuit breaker", () => {
  test("a route that failed N times is skipped until cooldown, then probed back", async () => {
    let healthy = false;
    const a = fakeProvider("a", () =>
      healthy ? Promise.resolve(jsonReply()) : Promise.reject(upstreamError("down")),
    );
    const b = fakeProvider("b");
    const { router, advance } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [a, b]);
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(a.calls).toHaveLength(2);
    // Open: `a` is not called at all.
    for (let i = 0; i < 3; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(a.calls).toHaveLength(2);
    advance(999);
    await router(chatRequest("m"));
    expect(a.calls).toHaveLength(2);
    // Cooldown over: one probe, which succeeds and closes the breaker.
    advance(1);
    healthy = true;
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
    expect(a.calls).toHaveLength(4);
  });

  test("a breaker opening is a warning naming the route, its cooldown and the last failure, redacted; a failed probe another; its closing an info line", async () => {
    let healthy = false;
    const a = fakeProvider("a", () =>
      healthy
        ? Promise.resolve(jsonReply())
        : Promise.reject(upstreamError("upstream said: bad key sk-abcdefghijklmnopqrstuvwx")),
    );
    const b = fakeProvider("b");
    const { router, advance, healthLogs } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [
      a,
      b,
    ]);
    const opened = {
      provider: "a",
      upstream_model: "ma",
      request_id: "req_test",
      open_for_ms: 1000,
      reason: "upstream said: bad key [redacted]",
    };
    await router(chatRequest("m"));
    expect(healthLogs).toEqual([]);
    await router(chatRequest("m"));
    expect(healthLogs).toEqual([
      { level: "warn", message: "route breaker opened: route taken out", fields: { ...opened, failures: 2 } },
    ]);
    // Open: nothing more is said while requests pass it by.
    await router(chatRequest("m"));
    expect(healthLogs).toHaveLength(1);
    advance(1000);
    await router(chatRequest("m"));
    expect(healthLogs[1]).toEqual({
      level: "warn",
      message: "route breaker probe failed: open again",
      fields: { ...opened, failures: 3 },
    });
    advance(1000);
    healthy = true;
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
    expect(healthLogs[2]).toEqual({
      level: "info",
      message: "route breaker closed: the route answered",
      fields: { provider: "a", upstream_model: "ma", request_id: "req_test" },
    });
    await router(chatRequest("m"));
    expect(healthLogs).toHaveLength(3);
  });

  test("the breaker stops retries on a route that just opened", async () => {
    const a = fakeProvider("a", () => Promise.reject(upstreamError("down")));
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 5, circuit_breaker: BREAKER }), [a, b]);
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(a.calls).toHaveLength(2);
  });

  test("while a probe is in flight, other requests go elsewhere", async () => {
    let probe = false;
    const a = fakeProvider("a", (call) => (probe ? never(call) : Promise.reject(upstreamError("down"))));
    const b = fakeProvider("b");
    const { router, advance } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [a, b]);
    await router(chatRequest("m"));
    await router(chatRequest("m"));
    advance(1000);
    probe = true;
    const controller = new AbortController();
    const probing = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    await waitFor("the probe to reach route a", () => a.calls.length >= 3);
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(a.calls).toHaveLength(3);
    // The prober's client leaves: the slot frees without a verdict, so the next one probes.
    controller.abort();
    expect(((await probing) as GatewayError).code).toBe("client_closed");
    probe = false;
    const next = router(chatRequest("m"));
    expect((await next).route).toBe("provider:b");
    expect(a.calls).toHaveLength(4);
  });

  test("when every route is open the answer is 503 no_route_available, and nothing is called", async () => {
    const a = fakeProvider("a", () => Promise.reject(upstreamError("down")));
    const b = fakeProvider("b", () => Promise.reject(upstreamError("down")));
    const { router } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [a, b]);
    await router(chatRequest("m")).catch(() => {});
    await router(chatRequest("m")).catch(() => {});
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(503);
    expect(error.code).toBe("no_route_available");
    expect(a.calls).toHaveLength(2);
    expect(b.calls).toHaveLength(2);
  });
  test("the 503 says when the soonest breaker lets a probe through (Retry-After, whole seconds up)", async () => {
    const down = () => Promise.reject(upstreamError("down"));
    const { router, advance } = routerFor(
      twoRoutes({ retries: 0, circuit_breaker: { failures: 2, cooldown: "30s" } }),
      [fakeProvider("a", down), fakeProvider("b", down)],
    );
    await router(chatRequest("m")).catch(() => {});
    await router(chatRequest("m")).catch(() => {});
    advance(10_500);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(503);
    expect(error.headers["retry-after"]).toBe("20");
    expect(error.headers["x-should-retry"]).toBeUndefined();
  });

  test("a breaker whose probe is further off than the SDKs wait as told says x-should-retry: false, as any wait that long is told", async () => {
    const down = () => Promise.reject(upstreamError("down"));
    const { router } = routerFor(
      twoRoutes({ retries: 0, circuit_breaker: { failures: 2, cooldown: "5m" } }),
      [fakeProvider("a", down), fakeProvider("b", down)],
    );
    await router(chatRequest("m")).catch(() => {});
    await router(chatRequest("m")).catch(() => {});
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    // OpenAI's SDKs would ignore the 300 s and send it again at once, twice, each refused;
    // Anthropic's TypeScript SDK would hold the call ten minutes to be refused again.
    expect([error.status, error.code, error.headers["retry-after"], error.headers["x-should-retry"]]).toEqual(
      [503, "no_route_available", "300", "false"],
    );
  });
});
