import { describe, expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import type { ProviderReply } from "../providers/provider.ts";
import { waitFor } from "../testing/wait-for.ts";
import type { WorkerRegistryOptions } from "../workers/gateway/worker-registry-options.ts";
import { NO_PROBE } from "./breaker-probe.ts";
import { chatRequest, fakeProvider, jsonReply, never, routerFor, twoRoutes } from "./router-test-kit.ts";

const breaker = { failures: 2, cooldown: "1s" };

/** A worker newly serving `w` (RouteHealth.halfOpen's newcomer). */
const NEWCOMER = { by: "worker:new", tenant: "default" };

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

  test("a worker whose model server is down is that worker's fault: workers/<model> stays closed while another worker serves; once none is left, the route's", async () => {
    const { createWorkerRegistry } = await import("../workers/gateway/worker-registry.ts");
    const { createWorkersProvider } = await import("../workers/gateway/worker-provider.ts");
    const { TunnelExchange } = await import("../workers/gateway/tunnel-exchange.ts");
    const { fakeWorker } = await import("../workers/testing/fake-worker.ts");
    const registry = createWorkerRegistry();
    // What the tunnel makes of the worker's `error` frame: the gateway's own exchange, failed by it.
    const unreachable = () => {
      const link = {
        window: 1,
        maxBodyBytes: 1,
        sendCredit() {},
        sendCancel() {},
        done() {},
        protocolError() {},
      };
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
    registry.add(bad);
    registry.add(good);
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
    // Sent to bad, a request goes on to good at once: the model stays up, the breaker closed.
    for (let i = 0; i < 4; i++) expect((await router(chatRequest("w"))).route).toBe("worker:good");
    expect(health.isOpen("workers/w")).toBe(false);
    // The only worker left serving `w`: each caller gets its error at once, and each counts, every
    // worker having failed it, until the breaker takes the route out (a model's next route would serve).
    registry.remove(good, "gone");
    for (let i = 0; i < breaker.failures; i++) {
      const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.message]).toEqual([502, "worker bad: could not reach the upstream"]);
    }
    expect(health.isOpen("workers/w")).toBe(true);
    registry.close();
  });

  test("a new worker registering for a model whose breaker its only worker opened is probed at once, not after the cooldown", async () => {
    const { createWorkerRegistry } = await import("../workers/gateway/worker-registry.ts");
    const { createWorkersProvider } = await import("../workers/gateway/worker-provider.ts");
    const { fakeWorker } = await import("../workers/testing/fake-worker.ts");
    const { probeNewcomers } = await import("../gateway/build-workers.ts");
    // The registry is the gateway's (build-workers.ts): a worker newly serving a model half-opens its route.
    let newlyServed: WorkerRegistryOptions["newlyServed"];
    const registry = createWorkerRegistry({ newlyServed: (...args) => newlyServed?.(...args) });
    // Its model server refuses its --upstream-key: a 502 of its own for every request.
    const refused = () =>
      Promise.reject(
        new GatewayError({
          status: 502,
          code: "upstream_error",
          message: "worker bad: refused",
          retryable: true,
        }),
      );
    const bad = {
      ...fakeWorker("bad", { models: ["w"] }),
      openWhole: refused,
      openFeed: refused,
      open: refused,
    };
    const answered: string[] = [];
    const good = {
      ...fakeWorker("good", { models: ["w"] }),
      openWhole: () => {
        answered.push("good");
        return Promise.resolve({
          status: 200,
          contentType: "application/json",
          retryAfter: undefined,
          body: new TextEncoder().encode("{}"),
        });
      },
    };
    registry.add(bad);
    const workers = {
      provider: createWorkersProvider(registry),
      servesModel: (model: string, tenant?: string) => registry.serves(model, tenant),
      models: (tenant: string) => registry.models(tenant),
    };
    const { router, health, healthLogs, advance } = routerFor(
      { routing: { retries: 0, backoff: 0, circuit_breaker: breaker } },
      [],
      { workers },
    );
    newlyServed = probeNewcomers(health);
    for (let i = 0; i < breaker.failures; i++) await router(chatRequest("w")).catch(() => {});
    expect(health.isOpen("workers/w")).toBe(true);
    // The operator stops it and starts one with the right key.
    registry.remove(bad, "connection closed (1000 drained)", true);
    advance(10);
    registry.add(good);
    expect(healthLogs.at(-1)).toEqual({
      level: "info",
      message: "route breaker half-open: its next request probes it",
      fields: { provider: "workers", upstream_model: "w", reason: "a worker registered for its model" },
    });
    expect((await router(chatRequest("w"))).route).toBe("worker:good");
    expect(health.isOpen("workers/w")).toBe(false);
    expect(answered).toEqual(["good"]);
    registry.close();
  });

  test("a worker's registration lets one probe through an open breaker, not every request: the probe's failure opens it for another cooldown", () => {
    const { health, advance } = routerFor({ routing: { circuit_breaker: breaker } }, []);
    health.halfOpen("workers/w", "a worker registered for its model", NEWCOMER);
    // Closed, or unknown: nothing changes.
    expect(health.admit("workers/w")).toBe(NO_PROBE);
    for (let i = 0; i < breaker.failures; i++) health.failed("workers/w");
    expect(health.admit("workers/w")).toBeUndefined();
    health.halfOpen("workers/w", "a worker registered for its model", NEWCOMER);
    const probe = health.admit("workers/w");
    expect(probe).toBeGreaterThan(NO_PROBE);
    // A second worker while the probe is in flight: the probe keeps its slot.
    health.halfOpen("workers/w", "a worker registered for its model", NEWCOMER);
    expect(health.admit("workers/w")).toBeUndefined();
    health.failed("workers/w", "refused", probe);
    expect(health.admit("workers/w")).toBeUndefined();
    advance(999);
    expect(health.admit("workers/w")).toBeUndefined();
    advance(1);
    expect(health.admit("workers/w")).toBeGreaterThan(NO_PROBE);
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

  test("a worker that reconnects again and again gets no more probes than the breaker gives: none under the name that failed, one a cooldown under fresh names", async () => {
    const { registry, router, healthLogs, advance, calls, failing } = await workersRouter();
    const flaky = failing("flaky");
    registry.add(flaky);
    for (let i = 0; i < breaker.failures; i++) await router(chatRequest("w")).catch(() => {});
    const opened = calls.length;
    // Once every 30 ms of the 1 s cooldown it drops and registers again, under its name and then
    // under a fresh one each time; a caller follows each registration.
    for (let i = 0; i < 30; i++) {
      registry.remove(registry.get("flaky") ?? flaky, "connection closed (1006)");
      registry.add(failing(i < 10 ? "flaky" : `flaky-${i}`));
      await router(chatRequest("w")).catch(() => {});
      advance(30);
    }
    // Its own name half-opened nothing (it failed the route); the first fresh name did, once.
    expect(calls.slice(opened)).toEqual(["flaky-10"]);
    expect(healthLogs.filter((l) => l.message.startsWith("route breaker half-open"))).toHaveLength(1);
    registry.close();
  });

  test("a new worker's probe goes to it, not to the worker that keeps failing, and only a caller it serves takes it", async () => {
    const { registry, router, health, advance, calls, failing, answering } = await workersRouter();
    registry.add(failing("bad"));
    for (let i = 0; i < breaker.failures; i++) await router(chatRequest("w")).catch(() => {});
    expect(health.isOpen("workers/w")).toBe(true);
    advance(100);
    // A worker of team-a's, busier than the failing platform worker: picked by load, the probe would go to bad.
    registry.add(answering("good", { tenant: "team-a", inFlight: 1 }));
    const before = calls.length;
    // A caller of another tenant, whom good does not serve: passed over until the cooldown's end.
    const refused = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([refused.status, refused.headers["retry-after"]]).toEqual([503, "1"]);
    expect((await router(chatRequest("w", { tenant: "team-a" }))).route).toBe("worker:good");
    expect(calls.slice(before)).toEqual(["good"]);
    expect(health.isOpen("workers/w")).toBe(false);
    registry.close();
  });

  test("while a new worker's probe is in flight, a caller it serves hears Retry-After for the probe, not the cooldown it cut short; one it does not serve hears the cooldown", async () => {
    const { registry, router, advance, calls, failing, hanging } = await workersRouter({
      failures: 2,
      cooldown: "30s",
    });
    registry.add(failing("bad"));
    for (let i = 0; i < 2; i++) await router(chatRequest("w")).catch(() => {});
    advance(100);
    registry.add(hanging("new", { tenant: "team-a" }));
    // A caller new does not serve: passed over until the cooldown the half-open cut short ends.
    const other = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([other.status, other.headers["retry-after"]]).toEqual([503, "30"]);
    const client = new AbortController();
    const probing = router(chatRequest("w", { tenant: "team-a", signal: client.signal })).catch(() => {});
    await waitFor("the probe to reach the new worker", () => calls.includes("new"));
    // One it serves, while the probe is in flight: its verdict may come at any moment.
    const served = (await router(chatRequest("w", { tenant: "team-a" })).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect([served.status, served.headers["retry-after"]]).toEqual([503, "1"]);
    client.abort();
    await probing;
    registry.close();
  });

  test("a new worker gone before the first request buys no early probe: the breaker stays open until the cooldown it cut short ends", async () => {
    const { registry, router, health, advance, calls, failing } = await workersRouter();
    registry.add(failing("bad"));
    for (let i = 0; i < breaker.failures; i++) await router(chatRequest("w")).catch(() => {});
    const opened = calls.length;
    advance(100);
    const fresh = failing("fresh");
    registry.add(fresh);
    registry.remove(fresh, "connection closed (1006)");
    const refused = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([refused.status, refused.code, refused.headers["retry-after"]]).toEqual([
      503,
      "no_route_available",
      "1",
    ]);
    expect(calls.slice(opened)).toEqual([]);
    advance(899);
    expect(health.admit("workers/w")).toBeUndefined();
    advance(1);
    // The cooldown's end: the probe goes as ever, to the worker left.
    await router(chatRequest("w")).catch(() => {});
    expect(calls.slice(opened)).toEqual(["bad"]);
    registry.close();
  });

  test("a worker on another node that failed the route half-opens nothing when its node lists it again", async () => {
    const { probeListed } = await import("../gateway/build-workers.ts");
    // A worker `w` of node n2, reached through the forwarding provider: named `worker:w`, served by `worker:w@n2`.
    const remote = {
      ...fakeProvider("worker:w", () => Promise.reject(upstreamError("model server down"))),
      servedBy: "worker:w@n2",
    };
    const workers = {
      provider: { ...fakeProvider("workers"), select: () => remote },
      servesModel: () => true,
      models: () => ["w"],
    };
    const { router, health, advance } = routerFor(
      { routing: { retries: 0, backoff: 0, circuit_breaker: breaker } },
      [],
      { workers },
    );
    for (let i = 0; i < breaker.failures; i++) await router(chatRequest("w")).catch(() => {});
    expect(health.isOpen("workers/w")).toBe(true);
    advance(100);
    probeListed(health)({ node: "n2", worker: "w", tenant: "default", models: ["w"] });
    expect(health.admit("workers/w")).toBeUndefined();
    // A worker of that name it has not seen fail is a newcomer, as ever.
    probeListed(health)({ node: "n2", worker: "v", tenant: "default", models: ["w"] });
    expect(health.admit("workers/w")).toBeGreaterThan(NO_PROBE);
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

  test("a 404 no API answered (a chat-only vLLM asked for embeddings) is failed over at once but never opens the breaker: its chat callers are served", async () => {
    const noSuchPath = { status: 404, headers: new Headers(), text: JSON.stringify({ detail: "Not Found" }) };
    const a = fakeProvider("a", (call) =>
      call.operation === "embeddings"
        ? Promise.reject(upstreamFailure("a", noSuchPath, "openai"))
        : Promise.resolve(jsonReply()),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 2, circuit_breaker: breaker }), [
      a,
      fakeProvider("b"),
    ]);
    const embeddings = chatRequest("m", { operation: "embeddings", body: { model: "m", input: "x" } });
    for (let i = 0; i < 4; i++) expect((await router(embeddings)).route).toBe("provider:b");
    // Each asked once (not again on its retries), and its breaker (open at 2) never counted them.
    expect(a.calls).toHaveLength(4);
    expect(health.isOpen("a/ma")).toBe(false);
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
  });

  test("Azure's 400 OperationNotSupported for an operation the caller chose (completions of a chat deployment) is failed over at once but never opens the breaker: its chat callers are served", async () => {
    const notCompletions = {
      status: 400,
      headers: new Headers(),
      text: JSON.stringify({
        error: {
          code: "OperationNotSupported",
          message:
            "The completion operation does not work with the specified model, gpt-4o. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
        },
      }),
    };
    // Alone, the caller's 502 says what the route lacks: not its model, which Azure found.
    expect(upstreamFailure("a", notCompletions, "openai").message).toBe(
      "upstream a answered 400: the route's model does not serve this operation",
    );
    const a = fakeProvider("a", (call) =>
      call.operation === "completions"
        ? Promise.reject(upstreamFailure("a", notCompletions, "openai"))
        : Promise.resolve(jsonReply()),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 2, circuit_breaker: breaker }), [
      a,
      fakeProvider("b"),
    ]);
    const completions = chatRequest("m", { operation: "completions", body: { model: "m", prompt: "x" } });
    for (let i = 0; i < 4; i++) expect((await router(completions)).route).toBe("provider:b");
    // Each asked once (not again on its retries), and its breaker (open at 2) never counted them.
    expect(a.calls).toHaveLength(4);
    expect(health.isOpen("a/ma")).toBe(false);
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
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

describe("router: the breaker of an upstream model several entries route to", () => {
  /**
   * `fast` and `slow` both route to upstream model `o` of provider `fo`, which they share a breaker
   * for (`fo/o`); `fast` waits 5 ms for the whole answer, `slow` ten minutes, `any-*` (`fo/*`) a
   * second, and `also-fast` as long as `fast`.
   */
  const shared = () => ({
    providers: [{ name: "fo", type: "openai" }],
    models: [
      { name: "fast", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "5ms" } }] },
      { name: "also-fast", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "5ms" } }] },
      { name: "slow", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "10m" } }] },
    ],
    routing: { retries: 0, backoff: 0, circuit_breaker: breaker },
  });
  /** An upstream slower than 5 ms while `slow` is set: it never answers a call that gives up sooner. */
  const upstream = (state: { slow: boolean; down?: boolean }) =>
    fakeProvider("fo", (call) =>
      state.down
        ? Promise.reject(upstreamError("connection refused"))
        : state.slow
          ? never(call)
          : Promise.resolve(jsonReply()),
    );

  test("an entry's own tighter timeouts never take the upstream model away from an entry that waits longer for it", async () => {
    const state = { slow: true };
    const fo = upstream(state);
    const { router, health, healthLogs } = routerFor(shared(), [fo]);
    for (let i = 0; i < 4; i++) {
      const error = (await router(chatRequest("fast")).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.code]).toEqual([504, "upstream_timeout"]);
    }
    expect(health.isOpen("fo/o")).toBe(false);
    expect(healthLogs).toEqual([]);
    // `slow` would have waited ten minutes: it is sent, and answered.
    state.slow = false;
    expect((await router(chatRequest("slow"))).route).toBe("provider:fo");
    expect(fo.calls).toHaveLength(5);
  });

  test("connection refusals and 5xx on any entry's traffic count for every entry of the upstream model", async () => {
    const state = { slow: false, down: true };
    const fo = upstream(state);
    const { router, health } = routerFor(shared(), [fo]);
    await router(chatRequest("fast")).catch(() => {});
    await router(chatRequest("fast")).catch(() => {});
    expect(health.isOpen("fo/o")).toBe(true);
    const refused = (await router(chatRequest("slow")).catch((e: unknown) => e)) as GatewayError;
    expect([refused.status, refused.code]).toEqual([503, "no_route_available"]);
    expect(fo.calls).toHaveLength(2);
  });

  test("timeouts of the longest bound any entry of the upstream model has count for all of them", async () => {
    const state = { slow: true };
    const fo = upstream(state);
    // No entry waits longer than 5 ms: the upstream gave no entry its answer in time.
    const config = shared();
    config.models = config.models.filter((model) => model.name !== "slow");
    const { router, health } = routerFor(config, [fo]);
    await router(chatRequest("fast")).catch(() => {});
    await router(chatRequest("also-fast")).catch(() => {});
    expect(health.isOpen("fo/o")).toBe(true);
  });

  test("a route that sends the client's name on (`*`) shares the upstream model's breaker where it can send that name", async () => {
    const state = { slow: true };
    const catchAll = { name: "*", routes: [{ provider: "fo", model: "*", timeouts: { first_byte: "10m" } }] };
    const fast = shared().models.filter((model) => model.name !== "slow");
    // A client naming `o` reaches the catch-all, which would send it to `fo/o` and wait ten
    // minutes: `fast` timing out says nothing.
    const reaching = routerFor({ ...shared(), models: [...fast, catchAll] }, [upstream(state)]);
    for (let i = 0; i < 3; i++) await reaching.router(chatRequest("fast")).catch(() => {});
    expect(reaching.health.isOpen("fo/o")).toBe(false);
    // Beside an entry named `o` (30 s of its own), the catch-all never sends `o`: an exact name is
    // matched first. Its ten minutes stretched `o`'s bound all the same, and a hung `fo/o` never
    // opened its breaker.
    const named = { name: "o", routes: [{ provider: "fo", model: "o", timeouts: { first_byte: "5ms" } }] };
    const { router, health } = routerFor({ ...shared(), models: [...fast, named, catchAll] }, [
      upstream(state),
    ]);
    await router(chatRequest("o")).catch(() => {});
    await router(chatRequest("fast")).catch(() => {});
    expect(health.isOpen("fo/o")).toBe(true);
  });

  test("an entry's tighter timeouts count once the upstream has answered nothing for the longest bound", async () => {
    const state = { slow: true };
    const fo = upstream(state);
    const { router, health, advance, healthLogs } = routerFor(shared(), [fo]);
    const fastTimesOut = async () => {
      const error = (await router(chatRequest("fast")).catch((e: unknown) => e)) as GatewayError;
      expect(error.code).toBe("upstream_timeout");
    };
    await fastTimesOut();
    // Ten minutes on, `slow` is answered: the upstream is slow, not down.
    advance(10 * 60_000);
    state.slow = false;
    expect((await router(chatRequest("slow"))).route).toBe("provider:fo");
    state.slow = true;
    for (let i = 0; i < 3; i++) await fastTimesOut();
    expect(health.isOpen("fo/o")).toBe(false);
    // Ten more minutes without an answer: `slow` would have had none in time either (a hung
    // upstream, and `slow` without traffic to time out). `fast`'s timeouts count.
    advance(10 * 60_000);
    await fastTimesOut();
    await fastTimesOut();
    expect(health.isOpen("fo/o")).toBe(true);
    expect(healthLogs.map((line) => line.message)).toEqual(["route breaker opened: route taken out"]);
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
    const harness = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }), [a, b]);
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

/**
 * A router whose `w` is served by the gateway's workers only (a registry wired as build-workers.ts
 * wires it), with workers that fail every call as their own (a refused key), answer or never do: `calls`, by
 * worker name, in order.
 */
async function workersRouter(circuitBreaker: { failures: number; cooldown: string } = breaker) {
  const { createWorkerRegistry } = await import("../workers/gateway/worker-registry.ts");
  const { createWorkersProvider } = await import("../workers/gateway/worker-provider.ts");
  const { fakeWorker } = await import("../workers/testing/fake-worker.ts");
  const { probeNewcomers } = await import("../gateway/build-workers.ts");
  let newlyServed: WorkerRegistryOptions["newlyServed"];
  const registry = createWorkerRegistry({ newlyServed: (...args) => newlyServed?.(...args) });
  const calls: string[] = [];
  type Init = Parameters<typeof fakeWorker>[1];
  const failing = (name: string, init: Init = {}) => {
    const refused = () => {
      calls.push(name);
      return Promise.reject(
        new GatewayError({
          status: 502,
          code: "upstream_error",
          message: `worker ${name}: refused`,
          retryable: true,
        }),
      );
    };
    return {
      ...fakeWorker(name, { models: ["w"], ...init }),
      openWhole: refused,
      openFeed: refused,
      open: refused,
    };
  };
  const answering = (name: string, init: Init = {}) => ({
    ...fakeWorker(name, { models: ["w"], ...init }),
    openWhole: () => {
      calls.push(name);
      return Promise.resolve({
        status: 200,
        contentType: "application/json",
        retryAfter: undefined,
        body: new TextEncoder().encode("{}"),
      });
    },
  });
  // One whose call never answers until its caller leaves: a probe that stays in flight.
  const hanging = (name: string, init: Init = {}) => ({
    ...fakeWorker(name, { models: ["w"], ...init }),
    openWhole: (request: { signal: AbortSignal }) => {
      calls.push(name);
      return new Promise<never>((_resolve, reject) => {
        request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
      });
    },
  });
  const workers = {
    provider: createWorkersProvider(registry),
    servesModel: (model: string, tenant?: string) => registry.serves(model, tenant),
    models: (tenant: string) => registry.models(tenant),
  };
  const harness = routerFor({ routing: { retries: 0, backoff: 0, circuit_breaker: circuitBreaker } }, [], {
    workers,
  });
  newlyServed = probeNewcomers(harness.health);
  return { ...harness, registry, calls, failing, answering, hanging };
}
