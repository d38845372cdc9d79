import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { WholeAnswer } from "../providers/http/whole-answer.ts";
import type { AttemptInfo, DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import { capacityRefusal } from "../workers/gateway/capacity-refusal.ts";
import { workerLost } from "../workers/gateway/tunnel-failures.ts";
import { createWorkersProvider } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry, type WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { fakeWorker } from "../workers/testing/fake-worker.ts";
import { ANSWERED, chatRequest, routerFor } from "./router-test-kit.ts";

/**
 * How a fake worker answers a call: whole, or failing as the tunnel would; or with its model
 * server's own answer: refusing the worker's key (401), failing (500), rate limiting (429), or
 * refusing the request as the caller's (400). One that drains is connected and takes nothing new.
 */
type Behaviour = "answers" | "dies" | "busy" | "refuses key" | "fails" | "limited" | "bad request" | "drains";

/** What a worker's model server answers, by behaviour: OpenAI's own error bodies. */
const SERVER_ANSWERS: Partial<Record<Behaviour, [number, object]>> = {
  "refuses key": [401, { error: { message: "Incorrect API key provided", code: "invalid_api_key" } }],
  fails: [500, { error: { message: "The server had an error", type: "server_error" } }],
  limited: [429, { error: { message: "Rate limit reached", type: "requests" } }],
  "bad request": [400, { error: { message: "'messages' is too short", type: "invalid_request_error" } }],
};

/**
 * Workers serving `w` behind the real registry and `workers` provider. One that dies leaves the
 * registry before its call fails, as a closed connection does (worker-connection.ts).
 */
function workersServing(registry: WorkerRegistry, behaviours: Record<string, Behaviour>) {
  const calls: string[] = [];
  for (const [name, behaviour] of Object.entries(behaviours)) {
    const worker = fakeWorker(name, { models: ["w"] });
    // A whole answer: what a non-stream call is answered with, passed through (the request's bytes
    // in hand, as the front door hands them: router-test-kit.ts `chatRequest`) or translated.
    worker.openWhole = (): Promise<WholeAnswer> => {
      calls.push(name);
      if (behaviour === "dies") {
        registry.remove(worker, "connection closed (1006)");
        return Promise.reject(workerLost(name));
      }
      if (behaviour === "busy") return Promise.reject(capacityRefusal(`worker ${name}: draining`));
      const [status, answer] = SERVER_ANSWERS[behaviour] ?? [200, { served_by: name, ...ANSWERED }];
      const body = new TextEncoder().encode(JSON.stringify(answer));
      return Promise.resolve({ status, contentType: "application/json", retryAfter: undefined, body });
    };
    worker.draining = behaviour === "drains";
    registry.add(worker);
  }
  return {
    calls,
    directory: {
      provider: createWorkersProvider(registry),
      servesModel: (model: string, tenant?: string) => registry.serves(model, tenant),
      models: (tenant: string) => registry.models(tenant),
    },
  };
}

// A backoff no test waits out: a worker's end is failed over at once.
const routing = (retries: number) => ({ routing: { retries, backoff: "60s" } });

describe("router: a worker lost or busy is failed over to the route's other workers", () => {
  test("with retries: 0, a worker that dies before its answer is failed over to another at once", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "dies", wb: "answers" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    const dispatched = await router(chatRequest("w"));
    expect(dispatched.route).toBe("worker:wb");
    // Relayed as the bytes the worker sent, as in production: not read by the provider.
    expect(dispatched.reply.kind).toBe("bytes");
    expect(calls).toEqual(["wa", "wb"]);
    registry.close();
  });

  test("the route failed line names the worker the attempt went to, as the access line and the audit row do", async () => {
    const registry = createWorkerRegistry();
    const { directory } = workersServing(registry, { wa: "fails", wb: "answers" });
    const { router, logs } = routerFor(routing(0), [], { workers: directory });
    expect((await router(chatRequest("w"))).route).toBe("worker:wb");
    expect(logs.map((line) => [line.message, line.fields.route])).toEqual([["route failed", "worker:wa"]]);
    registry.close();
  });

  test("two workers lost one after another: the third serves, no retry spent", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "dies", wb: "dies", wc: "answers" });
    const { router } = routerFor(routing(1), [], { workers: directory });
    expect((await router(chatRequest("w"))).route).toBe("worker:wc");
    expect(calls).toEqual(["wa", "wb", "wc"]);
    registry.close();
  });

  test("a draining or busy refusal goes to another worker too", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "busy", wb: "answers" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    expect((await router(chatRequest("w"))).route).toBe("worker:wb");
    expect(calls).toEqual(["wa", "wb"]);
    registry.close();
  });

  test("never a loop on one worker: a busy worker with no other is not sent the call again at once, and with no retry left the caller gets its 503", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "busy" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.headers["retry-after"]]).toEqual([503, "unavailable", "1"]);
    expect(calls).toEqual(["wa"]);
    registry.close();
  });

  test("the re-pick never goes back to a worker that refused, however the load falls", async () => {
    const registry = createWorkerRegistry();
    // wb busy as well: after wa and wb, no worker is left to re-pick, and no retry is spent on them.
    const { calls, directory } = workersServing(registry, { wa: "busy", wb: "busy" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([503, "unavailable"]);
    expect(calls.toSorted()).toEqual(["wa", "wb"]);
    registry.close();
  });

  test("a re-pick on another worker of the route is told to telemetry as no failover", async () => {
    const registry = createWorkerRegistry();
    const { directory } = workersServing(registry, { wa: "busy", wb: "answers" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    const told: AttemptInfo[] = [];
    const telemetry: DispatchTelemetry = {
      attempt: (info) => {
        told.push(info);
        return { traceparent: undefined, settled: () => {}, closed: () => {} };
      },
    };
    expect((await router(chatRequest("w", { telemetry }))).route).toBe("worker:wb");
    expect(told.map((info) => [info.retry, info.failover])).toEqual([
      [0, false],
      [0, false],
    ]);
    registry.close();
  });

  test("every worker lost: one attempt each, then the caller hears the last one was lost (a 502 to retry), not merely that none is connected", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "dies", wb: "dies" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.message, error.retryable]).toEqual([
      502,
      "worker_lost",
      "worker wb was lost",
      true,
    ]);
    expect(calls).toEqual(["wa", "wb"]);
    registry.close();
  });

  test("a worker lost while the route's only other worker drains: the caller hears the model is draining, to come back in 5 s", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "dies", wb: "drains" });
    // wb serves the model but drains, taking nothing new: once wa is gone, no worker takes it.
    const { router } = routerFor(routing(0), [], { workers: directory });
    const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.message, error.headers["retry-after"]]).toEqual([
      503,
      "unavailable",
      "every worker serving w is draining",
      "5",
    ]);
    expect(calls).toEqual(["wa"]);
    registry.close();
  });
});

describe("router: a worker whose own model server fails is that worker's end, not the route's", () => {
  // Two failures open a route's breaker here: one worker's faults must never open it.
  const withBreaker = {
    routing: { retries: 0, backoff: "60s", circuit_breaker: { failures: 2, cooldown: "30s" } },
  };

  test.each([
    ["refuses its key (401)", "refuses key"],
    ["fails (500)", "fails"],
  ] as const)(
    "a worker whose model server %s is failed over to another at once, with retries: 0, and workers/<model> stays closed",
    async (_said, behaviour) => {
      const registry = createWorkerRegistry();
      const { calls, directory } = workersServing(registry, { wa: behaviour, wb: "answers" });
      const { router, health } = routerFor(withBreaker, [], { workers: directory });
      for (let i = 0; i < 4; i++) expect((await router(chatRequest("w"))).route).toBe("worker:wb");
      expect(calls.filter((name) => name === "wa").length).toBeGreaterThan(0);
      expect(health.isOpen("workers/w")).toBe(false);
      registry.close();
    },
  );

  test("a 429 from one worker's server sends the call to another worker that is free", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "limited", wb: "answers" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    expect((await router(chatRequest("w"))).route).toBe("worker:wb");
    expect(calls).toEqual(["wa", "wb"]);
    registry.close();
  });

  test("a request the worker's server refuses as the caller's (400) is the caller's answer: no other worker tried", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "bad request", wb: "answers" });
    const { router } = routerFor(routing(0), [], { workers: directory });
    const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.message]).toEqual([400, "'messages' is too short"]);
    expect(calls).toEqual(["wa"]);
    registry.close();
  });

  test("a worker whose model server fails while the route's other worker is only busy: workers/<model> stays closed, the caller gets the failure", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "fails" });
    // wb serves the model, at capacity: still there to take calls once a slot frees.
    registry.add(fakeWorker("wb", { models: ["w"], capacity: 1, inFlight: 1 }));
    const { router, health } = routerFor(withBreaker, [], { workers: directory });
    for (let i = 0; i < 3; i++) {
      const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
      expect(error.status).toBe(502);
    }
    expect(calls).toEqual(["wa", "wa", "wa"]);
    expect(health.isOpen("workers/w")).toBe(false);
    registry.close();
  });

  test("a worker whose model server fails while the route's only other worker drains: the failure is the route's, its breaker counts it", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "fails", wb: "drains" });
    // wb serves the model but drains, taking nothing new: wa is the last worker to take the call.
    const { router, health } = routerFor(withBreaker, [], { workers: directory });
    for (let i = 0; i < 2; i++) {
      const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.code]).toEqual([502, "upstream_error"]);
    }
    expect(calls).toEqual(["wa", "wa"]);
    expect(health.isOpen("workers/w")).toBe(true);
    registry.close();
  });

  test("every worker refusing its key: each tried once, a 502 in the worker's words, and only then does the route's breaker count it", async () => {
    const registry = createWorkerRegistry();
    const { calls, directory } = workersServing(registry, { wa: "refuses key", wb: "refuses key" });
    const { router, health } = routerFor(withBreaker, [], { workers: directory });
    const error = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_error",
      "worker wb's model server refused its --upstream-key (401)",
    ]);
    expect(calls).toEqual(["wa", "wb"]);
    expect(health.isOpen("workers/w")).toBe(false);
    await router(chatRequest("w")).catch(() => {});
    // Two requests failed on every worker: the route is down, and its breaker says so.
    expect(health.isOpen("workers/w")).toBe(true);
    const refused = (await router(chatRequest("w")).catch((e: unknown) => e)) as GatewayError;
    expect([refused.status, refused.message]).toEqual([
      503,
      "every route for model w is temporarily out of service",
    ]);
    expect(calls).toHaveLength(4);
    registry.close();
  });
});
