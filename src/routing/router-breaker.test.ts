import { describe, expect, test } from "bun:test";
import { type GatewayError, upstreamError } from "../core/gateway-error.ts";
import { waitFor } from "../testing/wait-for.ts";
import { chatRequest, fakeProvider, jsonReply, never, routerFor, twoRoutes } from "./router-test-kit.ts";

const breaker = { failures: 2, cooldown: "1s" };

describe("router with the circuit breaker", () => {
  test("a route that failed N times is skipped until cooldown, then probed back", async () => {
    let healthy = false;
    const a = fakeProvider("a", () =>
      healthy ? Promise.resolve(jsonReply()) : Promise.reject(upstreamError("down")),
    );
    const b = fakeProvider("b");
    const { router, advance } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [a, b]);
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
    const { router, advance, healthLogs } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [
      a,
      b,
    ]);
    const opened = {
      provider: "a",
      upstream_model: "ma",
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
      fields: { provider: "a", upstream_model: "ma" },
    });
    await router(chatRequest("m"));
    expect(healthLogs).toHaveLength(3);
  });

  test("the breaker stops retries on a route that just opened", async () => {
    const a = fakeProvider("a", () => Promise.reject(upstreamError("down")));
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 5, circuit_breaker: breaker }), [a, b]);
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(a.calls).toHaveLength(2);
  });

  test("while a probe is in flight, other requests go elsewhere", async () => {
    let probe = false;
    const a = fakeProvider("a", (call) => (probe ? never(call) : Promise.reject(upstreamError("down"))));
    const b = fakeProvider("b");
    const { router, advance } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [a, b]);
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
    const { router } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [a, b]);
    await router(chatRequest("m")).catch(() => {});
    await router(chatRequest("m")).catch(() => {});
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(503);
    expect(error.code).toBe("no_route_available");
    expect(a.calls).toHaveLength(2);
    expect(b.calls).toHaveLength(2);
  });

  test("a worker lost is that worker's end, not the route's: the breaker stays closed, the request fails over", async () => {
    const { workerLost } = await import("../workers/gateway/tunnel-failures.ts");
    const a = fakeProvider("a", () => Promise.reject(workerLost("gpu1")));
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [
      a,
      fakeProvider("b"),
    ]);
    for (let i = 0; i < 6; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(6);
  });

  test("a worker whose model server is down is that worker's fault: workers/<model> stays closed, the others serve on", async () => {
    const { createWorkerRegistry } = await import("../workers/gateway/worker-registry.ts");
    const { createWorkersProvider } = await import("../workers/gateway/worker-provider.ts");
    const { TunnelExchange } = await import("../workers/gateway/tunnel-exchange.ts");
    const { fakeWorker } = await import("../workers/testing/fake-worker.ts");
    const registry = createWorkerRegistry();
    // What the tunnel makes of the worker's `error` frame: the gateway's own exchange, failed by it.
    const unreachable = () => {
      const link = { window: 1, maxBodyBytes: 1, sendCredit() {}, sendCancel() {}, done() {} };
      const exchange = new TunnelExchange(link, 1, "bad", false, true, new AbortController().signal);
      exchange.onError("upstream_unreachable", "could not reach the upstream");
      return exchange.response as Promise<never>;
    };
    const bad = {
      ...fakeWorker("bad", { models: ["w"] }),
      openWhole: unreachable,
      openFeed: unreachable,
      open: unreachable,
    };
    registry.add(bad);
    const workers = {
      provider: createWorkersProvider(registry),
      servesModel: (model: string, tenant?: string) => registry.serves(model, tenant),
      models: (tenant: string) => registry.models(tenant),
    };
    const { router, health } = routerFor(
      { routing: { retries: 0, backoff: 0, circuit_breaker: breaker } },
      [],
      { workers },
    );
    // The only worker serving `w`: every caller gets its own error at once, and the model stays up.
    for (let i = 0; i < 4; i++) {
      const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.message]).toEqual([502, "worker bad: could not reach the upstream"]);
    }
    expect(health.isOpen("workers/w")).toBe(false);
    // A healthy worker connects: it serves the model at once.
    const good = {
      ...fakeWorker("good", { models: ["w"] }),
      openWhole: () =>
        Promise.resolve({
          status: 200,
          contentType: "application/json",
          retryAfter: undefined,
          body: new TextEncoder().encode("{}"),
        }),
    };
    registry.add(good);
    expect((await router(chatRequest("w"))).route).toBe("worker:good");
    registry.close();
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
  });

  test("an upstream's 429 is failed over but never opens the breaker: callers keep its own 429 and Retry-After", async () => {
    const { GatewayError: Err } = await import("../core/gateway-error.ts");
    const limited = () =>
      Promise.reject(
        new Err({
          status: 429,
          code: "rate_limited",
          message: "slow down",
          retryable: true,
          headers: { "retry-after": "7" },
        }),
      );
    const a = fakeProvider("a", limited);
    const b = fakeProvider("b");
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [a, b]);
    for (let i = 0; i < 5; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(5);
    // A single route: the upstream's 429 itself, every time.
    const alone = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [
      fakeProvider("a", limited),
      fakeProvider("b", limited),
    ]);
    for (let i = 0; i < 4; i++) {
      const error = (await alone.router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
      expect(error.status).toBe(429);
      expect(error.headers["retry-after"]).toBe("7");
    }
  });

  test("caller faults do not count towards opening the breaker", async () => {
    const { GatewayError: Err } = await import("../core/gateway-error.ts");
    const a = fakeProvider("a", () =>
      Promise.reject(new Err({ status: 400, code: "invalid_request", message: "bad" })),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [
      a,
      fakeProvider("b"),
    ]);
    for (let i = 0; i < 4; i++) await router(chatRequest("m")).catch(() => {});
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(4);
  });

  test("no worker connected yet (or all at capacity) is no fault of the route: the breaker stays closed", async () => {
    const { GatewayError: Err } = await import("../core/gateway-error.ts");
    let n = 0;
    const a = fakeProvider("a", () =>
      Promise.reject(
        new Err({
          status: 503,
          code: n++ % 2 === 0 ? "no_route_available" : "unavailable",
          message: "no connected worker serves ma",
          retryable: true,
        }),
      ),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [
      a,
      fakeProvider("b"),
    ]);
    for (let i = 0; i < 6; i++) await router(chatRequest("m"));
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(6);
  });
});

describe("router: the half-open probe slot", () => {
  test("a probe refused before any upstream call (operation the route cannot serve) frees the slot", async () => {
    const anthropic = { ...fakeProvider("a"), dialect: "anthropic" as const };
    const calls = anthropic.calls;
    anthropic.call = (call) => {
      calls.push(call);
      return Promise.reject(upstreamError("down"));
    };
    const { router, advance } = routerFor(
      {
        providers: [{ name: "a", type: "anthropic" }],
        models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
        routing: { retries: 0, circuit_breaker: { failures: 1, cooldown: "1s" } },
      },
      [anthropic],
    );
    await router(chatRequest("m")).catch(() => {});
    advance(1000);
    // Embeddings cannot be served by an Anthropic route: a 400 before any upstream call.
    const refused = (await router({ ...chatRequest("m"), operation: "embeddings" }).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect(refused.status).toBe(400);
    // The route must still be probed by the next request.
    await router(chatRequest("m")).catch(() => {});
    expect(calls).toHaveLength(2);
  });
});
