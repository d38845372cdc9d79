import { describe, expect, test } from "bun:test";
import { AttemptLog } from "../audit/attempt-log.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import {
  CHAT_ANSWER,
  chatRequest,
  type FakeProvider,
  fakeProvider,
  modelOver,
  routerFor,
  twoRoutes,
} from "../routing/router-test-kit.ts";
import { SERVED_BY_HEADER } from "../workers/gateway/tunnel-exchange.ts";
import { REPLACED, workerLost } from "../workers/gateway/tunnel-failures.ts";
import { createWorkersProvider, noWorkerTakes } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { type ForwardRequest, forwardRefusal } from "./forward-endpoint.ts";
import { createForwardingProvider } from "./forwarding-provider.ts";
import type { NodeEntry } from "./node-entry.ts";
import { B, C, call, node, platform, setup } from "./testing/forwarding-setup.ts";
import { listedDirectory } from "./testing/listed-directory.ts";

// The calling node's side of forwarding once a worker is chosen: what the forward names and
// carries, where a call goes when the chosen node is gone or failing, and which breaker hears of it.

/** The real router over one `workers` route (retries 0), nodes b and c answering as `answers` does. */
function workersOnly(answers: (url: string, init?: RequestInit) => Promise<Response>) {
  const registry = createWorkerRegistry();
  const provider = createForwardingProvider({
    local: createWorkersProvider(registry),
    registry,
    directory: listedDirectory([B, C]),
    secret: "s".repeat(32),
    fetch: answers as typeof fetch,
  });
  const workers: FakeProvider = {
    ...fakeProvider("a"),
    select: (model, holder, tenant, avoid) => provider.select!(model, holder, tenant, avoid),
  };
  const only = modelOver([{ provider: "a", type: "openai", model: "m" }], { retries: 0 });
  return routerFor(only, [workers]).router;
}

describe("forwarding to a worker on another node", () => {
  test("the forward names the chosen worker and carries the client's headers, query and body text", async () => {
    const { provider, sent } = setup();
    await provider.select?.("m", "worker:wb", platform).call(call("responses"));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.node).toBe("node-b");
    expect(sent[0]?.request).toMatchObject({
      worker: "wb",
      native: { headers: { "openai-beta": "x" }, query: "?q=1" },
      bodyText: '{"model":"m" }',
    });
  });

  test("a chat call moves on to the next node when the chosen one is gone; a Responses call does not", async () => {
    const { provider, sent } = setup(["node-c"]);
    const reply = await provider.select?.("m", undefined, platform)?.call(call("chat"));
    expect(reply?.servedBy).toBe("worker:x@node-b.invalid");
    // Another node, any of its workers: the pin was for the worker on the node that is gone.
    expect(sent.map((s) => [s.node, s.request.worker])).toEqual([["node-b", undefined]]);
    const responses = provider.select?.("m", "worker:wr", platform);
    expect(responses?.name).toBe("worker:wr");
    expect(await responses?.call(call("responses")).catch((e: Error) => e.message)).toContain("node-c");
    expect(sent).toHaveLength(1);
  });

  test("a node that cannot be reached (killed) fails the call as retryable `unavailable`, naming the worker and node it went to", async () => {
    const { provider } = setup(["node-b", "node-c"]);
    const chosen = provider.select?.("m", undefined, platform);
    expect([chosen?.name, chosen?.servedBy]).toEqual(["worker:wc", "worker:wc@node-c"]);
    const error = await chosen?.call(call("chat")).catch((e: unknown) => e);
    // Both nodes tried (the chosen one, then the next serving the model), the last one's words.
    expect(error).toMatchObject({ status: 503, code: "unavailable", retryable: true });
    expect((error as Error).message).toBe("node node-b unreachable: connection refused (ECONNREFUSED)");
  });

  test("a failed answer that does not say which worker gave it names the worker by its node, as a worker is named", async () => {
    const { provider } = setup([], [B], [], ["node-b"]);
    // Translated, not native: the gateway reads the answer, and its failure names who gave it.
    const { native: _native, ...translated } = call("chat");
    const error = await provider
      .select?.("m", undefined, platform)
      ?.call(translated)
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain("worker unnamed@node-b");
    expect((error as Error).message).not.toContain("upstream worker");
  });

  test("a node that cannot be reached opens no breaker: its workers, reconnected elsewhere, are served at once", async () => {
    const { provider } = setup(["node-c"], [C]);
    // The `workers` route as the router sees it (route `a`, narrowed to a worker before each
    // call), with a provider route `b` behind it.
    const selected: string[] = [];
    const workers: FakeProvider = {
      ...fakeProvider("a"),
      select: (model, holder, tenant) => {
        selected.push(model);
        return provider.select!(model, holder, tenant);
      },
    };
    const breaker = { failures: 2, cooldown: "30s" };
    // Route `a` asks its workers for `m` itself (its upstream model).
    const { router } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }, { model: "m" }), [
      workers,
      fakeProvider("b"),
    ]);
    for (let i = 0; i < 4; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    // Past the breaker's threshold, every request still tried the workers first.
    expect(selected).toHaveLength(4);
  });

  test("a remote worker whose model server is down opens no breaker while another node's worker serves: its fault is that worker's, as on its own node", async () => {
    const breaker = { failures: 2, cooldown: "30s" };
    const routeOver = (nodes: NodeEntry[]) => {
      const { provider, sent } = setup([], nodes, ["node-c"]);
      const workers: FakeProvider = {
        ...fakeProvider("a"),
        select: (model, holder, tenant) => provider.select!(model, holder, tenant),
      };
      const { router } = routerFor(twoRoutes({ retries: 0, circuit_breaker: breaker }, { model: "m" }), [
        workers,
        fakeProvider("b"),
      ]);
      return { router, sent };
    };
    // The forwards, not any cancel (a forward the node refused owes none: forward-over-http.ts).
    const forwarded = (sent: { node: string; request: ForwardRequest }[]) =>
      sent.filter((s) => "operation" in s.request).map((s) => s.node);
    const beside = routeOver([B, C]);
    for (let i = 0; i < 4; i++)
      expect((await beside.router(chatRequest("m"))).route).toBe("worker:x@node-b.invalid");
    // node-c, the least loaded, first each time; node-b's worker then serves.
    expect(forwarded(beside.sent)).toEqual([
      "node-c",
      "node-b",
      "node-c",
      "node-b",
      "node-c",
      "node-b",
      "node-c",
      "node-b",
    ]);
    // The only worker serving the model: every worker failed the request, so the route did.
    const alone = routeOver([C]);
    for (let i = 0; i < breaker.failures; i++)
      expect((await alone.router(chatRequest("m"))).route).toBe("provider:b");
    expect((await alone.router(chatRequest("m"))).route).toBe("provider:b");
    expect(forwarded(alone.sent)).toEqual(["node-c", "node-c"]);
  });

  test("a remote worker whose model server hangs (the forward answers nothing within first_byte) counts on the calling node's breaker, as a local worker's timeout does", async () => {
    // Node b takes each forward and answers nothing until the calling node gives up on it.
    const forwards: string[] = [];
    const hung = (async (url: string, init?: RequestInit) => {
      if ("operation" in JSON.parse(String(init?.body))) forwards.push(String(url));
      const signal = init?.signal;
      return new Promise<never>((_, reject) => {
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    }) as unknown as typeof fetch;
    const registry = createWorkerRegistry();
    const provider = createForwardingProvider({
      local: createWorkersProvider(registry),
      registry,
      directory: listedDirectory([B]),
      secret: "s".repeat(32),
      fetch: hung,
    });
    const workers: FakeProvider = {
      ...fakeProvider("a"),
      select: (model, holder, tenant) => provider.select!(model, holder, tenant),
    };
    const breaker = { failures: 2, cooldown: "30s" };
    const routing = { retries: 0, circuit_breaker: breaker, timeouts: { first_byte: "300ms" } };
    const { router } = routerFor(twoRoutes(routing, { model: "m" }), [workers, fakeProvider("b")]);
    for (let i = 0; i < 3; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    // Two timeouts opened `workers/m` on this node: the third call went to `b` without a forward.
    // The node holding the worker judges its server by the cancel, which says what cut the call
    // (`timedOut`, over a peer link or HTTP): test/e2e/cluster-worker-hung.test.ts.
    expect(forwards).toHaveLength(breaker.failures);
  });

  test("a node from before the second forward format (a rolling upgrade) gets the first", async () => {
    const old = node(
      "node-old",
      [{ name: "wo", tenant: platform, models: ["m"], inFlight: 0, capacity: 4 }],
      0,
    );
    const { provider, sent } = setup([], [old]);
    await provider.select?.("m", undefined, platform)?.call(call("chat"));
    expect(sent).toHaveLength(1);
    expect(Object.keys(sent[0]?.request ?? {}).sort()).toEqual([
      "body",
      "forwardId",
      "operation",
      "requestId",
      "stream",
    ]);
  });

  test("a caller is forwarded only to a worker its tenant may use, and the forward says its tenant", async () => {
    const shared = node("node-b", [
      { name: "wa", tenant: "team-a", models: ["m"], inFlight: 0, capacity: 4 },
      { name: "wb", tenant: "team-b", models: ["m"], inFlight: 0, capacity: 64 },
    ]);
    const before = node("node-old", [{ name: "wo", models: ["m"], inFlight: 0, capacity: 64 }], 2);
    const { provider, sent } = setup([], [shared, before]);
    expect(provider.select?.("m", undefined, "team-a").name).toBe("worker:wa");
    // The chain team-b's worker holds is not continued for team-a, nor its stored answers read.
    expect(provider.select?.("m", "worker:wb", "team-a").name).toBe("worker:wa");
    expect(provider.holder?.("worker:wb", "team-a")).toBeUndefined();
    await provider.select?.("m", undefined, "team-a").call(call("chat"));
    expect(sent.map((s) => [s.node, s.request.worker, s.request.tenant])).toEqual([
      ["node-b", "wa", "team-a"],
    ]);
    // No worker of its own nor the platform's: not there (a node from before tenants lists none).
    const error = (() => {
      try {
        provider.select?.("m", undefined, "team-c");
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toMatchObject({ status: 503, code: "no_route_available" });
  });

  test("a worker its node lost to a restart under its name gets the call again there, whatever the next node serving the model refused", async () => {
    // node-c's worker (the least loaded, chosen) restarted while the forward waited: its node
    // refuses it as replaced, then its new connection answers. node-b, tried next, refuses too.
    for (const [why, refusedThere] of [
      ["full", noWorkerTakes("m", "full")],
      ["lost its own worker", workerLost("wb")],
    ] as [string, GatewayError][]) {
      const forwards: string[] = [];
      const answers = async (url: string, init?: RequestInit) => {
        const id = new URL(url).hostname.replace(".invalid", "");
        if (!("operation" in JSON.parse(String(init?.body)))) return new Response(null, { status: 204 });
        forwards.push(id);
        if (id === "node-b") return forwardRefusal(refusedThere, id);
        if (forwards.length === 1) return forwardRefusal(workerLost("wc", REPLACED), id);
        return new Response(CHAT_ANSWER, {
          headers: { "content-type": "application/json", [SERVED_BY_HEADER]: "worker:wc@node-c" },
        });
      };
      const router = workersOnly(answers);
      const result = await router(chatRequest("m")).catch((e: Error) => e.message);
      // Before: node-b's refusal was the one kept, so no re-pick: the caller was told it.
      expect([why, typeof result === "string" ? result : result.route]).toEqual([why, "worker:wc@node-c"]);
      expect(forwards).toEqual(["node-c", "node-b", "node-c"]);
    }
  });

  test("another node's worker lost to a restart does not send the call to the chosen worker again", async () => {
    // node-c's worker (chosen) refuses; node-b, tried next with no worker named, lost its own
    // worker to a restart: that says nothing of node-c's, so no second round to it — whether
    // node-c's refusal is told over node-b's (full) or node-b's is (a worker lost, as sooner over).
    for (const [why, refusedThere, told] of [
      ["full", noWorkerTakes("m", "full"), "503 unavailable"],
      ["lost", workerLost("wc"), "502 worker_lost"],
    ] as [string, GatewayError, string][]) {
      const forwards: string[] = [];
      const answers = async (url: string, init?: RequestInit) => {
        const id = new URL(url).hostname.replace(".invalid", "");
        if (!("operation" in JSON.parse(String(init?.body)))) return new Response(null, { status: 204 });
        const sent = JSON.parse(String(init?.body)) as Partial<ForwardRequest>;
        forwards.push(`${id}:${sent.worker ?? "any"}`);
        if (id === "node-b") return forwardRefusal(workerLost("wb", REPLACED), id);
        return forwardRefusal(refusedThere, id);
      };
      const router = workersOnly(answers);
      const result = await router(chatRequest("m")).catch((e: GatewayError) => `${e.status} ${e.code}`);
      // Before: node-b's refusal was kept as node-c's worker's restart: sent to both again.
      expect({ why, forwards, result }).toEqual({ why, forwards: ["node-c:wc", "node-b:any"], result: told });
    }
  });

  test("a worker that restarts again once the call was sent to it again: the caller is told the next node's busy refusal, to come back", async () => {
    // node-c's worker (chosen) restarts under its name while each forward to it waits: the call
    // goes to its new connection once, then no more. node-b's workers are full each time.
    const forwards: string[] = [];
    const router = workersOnly(async (url, init) => {
      const id = new URL(url).hostname.replace(".invalid", "");
      if (!("operation" in JSON.parse(String(init?.body)))) return new Response(null, { status: 204 });
      forwards.push(id);
      if (id === "node-b") return forwardRefusal(noWorkerTakes("m", "full"), id);
      return forwardRefusal(workerLost("wc", REPLACED), id);
    });
    const error = await router(chatRequest("m")).catch((e: GatewayError) => e);
    expect(forwards).toEqual(["node-c", "node-b", "node-c", "node-b"]);
    // The worker is there, restarting, and node-b's will have room: a retry may be served. Before:
    // 502 worker_lost, the pinned node's restart told over node-b's refusal once it was spent.
    expect(error).toMatchObject({ status: 503, code: "unavailable", headers: { "retry-after": "1" } });
  });

  test("the attempt its node refused as restarted is recorded as that restart, not as the next node's refusal ranked over it", async () => {
    // node-c's worker (chosen) restarts while each forward to it waits; node-b's workers are
    // full. `restarts`: how many times: once (its new connection answers), or twice.
    for (const restarts of [1, 2]) {
      const forwards: string[] = [];
      const router = workersOnly(async (url, init) => {
        const id = new URL(url).hostname.replace(".invalid", "");
        if (!("operation" in JSON.parse(String(init?.body)))) return new Response(null, { status: 204 });
        forwards.push(id);
        if (id === "node-b") return forwardRefusal(noWorkerTakes("m", "full"), id);
        if (forwards.filter((to) => to === "node-c").length > restarts)
          return new Response(CHAT_ANSWER, {
            headers: { "content-type": "application/json", [SERVED_BY_HEADER]: "worker:wc@node-c" },
          });
        return forwardRefusal(workerLost("wc", REPLACED), id);
      });
      const log = new AttemptLog(undefined);
      await router(chatRequest("m", { telemetry: log })).catch(() => undefined);
      const attempts = log.list().map((a) => `${a.route} ${a.outcome} ${a.status} ${a.errorClass}`);
      // Before: the first said 503 unavailable, node-b's refusal, as if the worker had been busy.
      // The second, once the one re-send was spent, is what the caller is told: node-b's refusal.
      const last = restarts === 1 ? "ok null null" : "failed 503 unavailable";
      const restarted = "worker:wc@node-c failed 502 worker_lost";
      expect({ restarts, attempts }).toEqual({ restarts, attempts: [restarted, `worker:wc@node-c ${last}`] });
    }
  });
});
