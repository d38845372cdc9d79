import { describe, expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { waitFor } from "../testing/wait-for.ts";
import type { WorkerRegistryOptions } from "../workers/gateway/worker-registry-options.ts";
import { NO_PROBE } from "./breaker-probe.ts";
import { BREAKER, CHAT_ANSWER, chatRequest, fakeProvider, routerFor } from "./router-test-kit.ts";

// The breaker of a model served by the gateway's workers (workers/<model>): a worker's own fault
// is not the route's, and a worker registering for a model lets one probe through its open breaker.

/** A worker newly serving `w` (RouteHealth.halfOpen's newcomer). */
const NEWCOMER = { by: "worker:new", tenant: "default" };

describe("router: the breaker of a model the gateway's workers serve", () => {
  test("a worker whose model server is down is that worker's fault: workers/<model> stays closed while another worker serves; once none is left, the route's", async () => {
    const { createWorkerRegistry } = await import("../workers/gateway/worker-registry.ts");
    const { createWorkersProvider } = await import("../workers/gateway/worker-provider.ts");
    const { TunnelExchange } = await import("../workers/gateway/tunnel-exchange.ts");
    const { ServerSilence } = await import("../workers/gateway/server-silence.ts");
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
        silence: new ServerSilence(),
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
          body: new TextEncoder().encode(CHAT_ANSWER),
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
      { routing: { retries: 0, backoff: 0, circuit_breaker: BREAKER } },
      [],
      { workers },
    );
    // Sent to bad, a request goes on to good at once: the model stays up, the breaker closed.
    for (let i = 0; i < 4; i++) expect((await router(chatRequest("w"))).route).toBe("worker:good");
    expect(health.isOpen("workers/w")).toBe(false);
    // The only worker left serving `w`: each caller gets its error at once, and each counts, every
    // worker having failed it, until the breaker takes the route out (a model's next route would serve).
    registry.remove(good, "gone");
    for (let i = 0; i < BREAKER.failures; i++) {
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
          body: new TextEncoder().encode(CHAT_ANSWER),
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
      { routing: { retries: 0, backoff: 0, circuit_breaker: BREAKER } },
      [],
      { workers },
    );
    newlyServed = probeNewcomers(health);
    for (let i = 0; i < BREAKER.failures; i++) await router(chatRequest("w")).catch(() => {});
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
    const { health, advance } = routerFor({ routing: { circuit_breaker: BREAKER } }, []);
    health.halfOpen("workers/w", "a worker registered for its model", NEWCOMER);
    // Closed, or unknown: nothing changes.
    expect(health.admit("workers/w")).toBe(NO_PROBE);
    for (let i = 0; i < BREAKER.failures; i++) health.failed("workers/w");
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
  test("a worker that reconnects again and again gets no more probes than the breaker gives: none under the name that failed, one a cooldown under fresh names", async () => {
    const { registry, router, healthLogs, advance, calls, failing } = await workersRouter();
    const flaky = failing("flaky");
    registry.add(flaky);
    for (let i = 0; i < BREAKER.failures; i++) await router(chatRequest("w")).catch(() => {});
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
    for (let i = 0; i < BREAKER.failures; i++) await router(chatRequest("w")).catch(() => {});
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
    for (let i = 0; i < BREAKER.failures; i++) await router(chatRequest("w")).catch(() => {});
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
      { routing: { retries: 0, backoff: 0, circuit_breaker: BREAKER } },
      [],
      { workers },
    );
    for (let i = 0; i < BREAKER.failures; i++) await router(chatRequest("w")).catch(() => {});
    expect(health.isOpen("workers/w")).toBe(true);
    advance(100);
    probeListed(health)({ node: "n2", worker: "w", tenant: "default", models: ["w"] });
    expect(health.admit("workers/w")).toBeUndefined();
    // A worker of that name it has not seen fail is a newcomer, as ever.
    probeListed(health)({ node: "n2", worker: "v", tenant: "default", models: ["w"] });
    expect(health.admit("workers/w")).toBeGreaterThan(NO_PROBE);
  });
});

/**
 * A router whose `w` is served by the gateway's workers only (a registry wired as build-workers.ts
 * wires it), with workers that fail every call as their own (a refused key), answer or never do: `calls`, by
 * worker name, in order.
 */
async function workersRouter(circuitBreaker: { failures: number; cooldown: string } = BREAKER) {
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
        body: new TextEncoder().encode(CHAT_ANSWER),
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
