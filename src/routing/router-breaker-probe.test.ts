import { describe, expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import type { ProviderReply } from "../providers/provider.ts";
import { waitFor } from "../testing/wait-for.ts";
import { BREAKER, chatRequest, fakeProvider, jsonReply, routerFor, twoRoutes } from "./router-test-kit.ts";

// The half-open breaker's one probe: its slot freed however the probe ends, and only its own
// outcome closing or re-opening the breaker.

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

  test("a probe whose request cannot be built after it was adapted (the provider throws) frees the slot: the next request probes", async () => {
    let building = "fine";
    const a = fakeProvider("a", () => Promise.reject(upstreamError("down")));
    // Read as the attempt is made, after the call was adapted to the route.
    Object.defineProperty(a, "servedBy", {
      get() {
        if (building === "throws") throw new Error("the provider could not build its request");
        return undefined;
      },
    });
    const b = fakeProvider("b");
    const { router, advance, health } = routerFor(
      twoRoutes({ retries: 0, circuit_breaker: { failures: 1, cooldown: "1s" } }),
      [a, b],
    );
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(health.isOpen("a/ma")).toBe(true);
    advance(1000);
    building = "throws";
    await router(chatRequest("m")).catch(() => {});
    expect(health.breakers().find((breaker) => breaker.key === "a/ma")?.state).toBe("open");
    building = "fine";
    await router(chatRequest("m")).catch(() => {});
    expect(a.calls).toHaveLength(2);
  });
});

describe("router: only the probe's own outcome closes or re-opens a half-open breaker", () => {
  /**
   * Route `a` (breaker: 2 failures, 1 s) gets a slow call sent while it is closed, then two
   * failures that open it; a second later a probe goes. Both calls wait on the test to answer them.
   */
  async function slowThenProbe() {
    const slow = Promise.withResolvers<ProviderReply>();
    const probe = Promise.withResolvers<ProviderReply>();
    const a = fakeProvider("a", (_call, n) =>
      n === 0 ? slow.promise : n === 3 ? probe.promise : Promise.reject(upstreamError("down")),
    );
    const b = fakeProvider("b");
    const harness = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [a, b]);
    const { router, health, advance, healthLogs } = harness;
    const slowDispatch = router(chatRequest("m", { requestId: "req_slow" }));
    await waitFor("the slow call to reach route a", () => a.calls.length === 1);
    await router(chatRequest("m", { requestId: "req_fail_1" }));
    await router(chatRequest("m", { requestId: "req_fail_2" }));
    expect(healthLogs.map((l) => l.message)).toEqual(["route breaker opened: route taken out"]);
    advance(1000);
    const probeDispatch = router(chatRequest("m", { requestId: "req_probe" }));
    await waitFor("the probe to reach route a", () => a.calls.length === 4);
    const state = () => health.breakers().find((s) => s.key === "a/ma")?.state;
    expect(state()).toBe("half_open");
    return { ...harness, a, slow, probe, slowDispatch, probeDispatch, state };
  }

  test("the slow call failing while the probe is in flight leaves the breaker to its probe; the probe's success closes it, named by its request id", async () => {
    const { router, a, slow, probe, slowDispatch, probeDispatch, state, healthLogs } = await slowThenProbe();
    slow.reject(upstreamError("down at last"));
    // Failed over to `b`: a failure of a call sent before the breaker opened is no probe's.
    expect((await slowDispatch).route).toBe("provider:b");
    expect(state()).toBe("half_open");
    expect(healthLogs.map((l) => l.message)).toEqual(["route breaker opened: route taken out"]);
    // The probe still holds the slot: another request passes `a` by.
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(a.calls).toHaveLength(4);
    probe.resolve(jsonReply());
    expect((await probeDispatch).route).toBe("provider:a");
    expect(state()).toBe("closed");
    expect(healthLogs[1]).toEqual({
      level: "info",
      message: "route breaker closed: the route answered",
      fields: { provider: "a", upstream_model: "ma", request_id: "req_probe" },
    });
    expect(healthLogs).toHaveLength(2);
  });

  test("the slow call answering while the probe is in flight closes nothing; the probe's failure opens the breaker again, named by its request id", async () => {
    const { router, a, slow, probe, slowDispatch, probeDispatch, state, healthLogs } = await slowThenProbe();
    slow.resolve(jsonReply());
    expect((await slowDispatch).route).toBe("provider:a");
    expect(state()).toBe("half_open");
    expect(healthLogs).toHaveLength(1);
    probe.reject(upstreamError("still down"));
    expect((await probeDispatch).route).toBe("provider:b");
    expect(state()).toBe("open");
    expect(healthLogs[1]).toEqual({
      level: "warn",
      message: "route breaker probe failed: open again",
      fields: {
        provider: "a",
        upstream_model: "ma",
        request_id: "req_probe",
        failures: 3,
        open_for_ms: 1000,
        reason: "still down",
      },
    });
    // Out for another cooldown: nothing reaches `a`.
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(a.calls).toHaveLength(4);
  });

  test("a call that became the probe on its retry and whose client left during the backoff frees the slot", async () => {
    const slow = Promise.withResolvers<ProviderReply>();
    const limited = new GatewayError({
      status: 429,
      code: "rate_limited",
      message: "slow down",
      retryable: true,
    });
    const a = fakeProvider("a", (_call, n) =>
      n === 0 ? slow.promise : Promise.reject(upstreamError("down")),
    );
    const { router, health, advance } = routerFor(
      {
        providers: [{ name: "a", type: "openai" }],
        models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
        routing: { retries: 1, backoff: "1h", circuit_breaker: { failures: 1, cooldown: "1s" } },
      },
      [a],
    );
    const state = () => health.breakers().find((s) => s.key === "a/ma")?.state;
    const client = new AbortController();
    const leaving = router(chatRequest("m", { signal: client.signal })).catch((e: unknown) => e);
    await waitFor("the slow call to reach route a", () => a.calls.length === 1);
    await router(chatRequest("m")).catch(() => {});
    expect(state()).toBe("open");
    advance(1000);
    // A 429 counts for nothing: its retry, admitted as the probe, waits out its backoff.
    slow.reject(limited);
    await waitFor("the retry to hold the probe slot", () => state() === "half_open");
    client.abort();
    expect(((await leaving) as GatewayError).code).toBe("client_closed");
    expect(state()).toBe("open");
    // The next request probes the route.
    await router(chatRequest("m")).catch(() => {});
    expect(a.calls).toHaveLength(3);
  });
});
