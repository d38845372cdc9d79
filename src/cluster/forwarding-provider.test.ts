import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Provider, ProviderCall } from "../providers/provider.ts";
import type { Route } from "../routing/route.ts";
import {
  chatRequest,
  type FakeProvider,
  fakeProvider,
  routerFor,
  twoRoutes,
} from "../routing/router-test-kit.ts";
import { WorkerRepicks } from "../routing/worker-repicks.ts";
import { SERVED_BY_HEADER } from "../workers/gateway/tunnel-exchange.ts";
import { WorkerUpstreamFault, workerLost } from "../workers/gateway/tunnel-failures.ts";
import { createWorkersProvider, noWorkerTakes } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { fakeWorker } from "../workers/testing/fake-worker.ts";
import { type ForwardRequest, forwardRefusal } from "./forward-endpoint.ts";
import { createForwardingProvider } from "./forwarding-provider.ts";
import type { NodeEntry } from "./node-entry.ts";
import { listedDirectory } from "./testing/listed-directory.ts";

// The calling node's side of forwarding, with the directory as last read and the other nodes
// answering through an injected fetch: which worker is chosen, what the forward names, and
// where a call goes when the chosen node is gone. (The wire end to end: test/e2e/cluster.test.ts.)

const node = (id: string, workers: NodeEntry["workers"], forwardVersion = 3): NodeEntry => ({
  id,
  url: `http://${id}.invalid`,
  at: 0,
  workers,
  ...(forwardVersion ? { forwardVersion } : {}),
});
const platform = "default";
const B = node("node-b", [
  { name: "wb", tenant: platform, models: ["m"], inFlight: 0, capacity: 4, responsesApi: true },
]);
const C = node("node-c", [
  { name: "wc", tenant: platform, models: ["m"], inFlight: 0, capacity: 8 },
  { name: "wr", tenant: platform, models: ["m"], inFlight: 3, capacity: 4, responsesApi: true },
]);

/**
 * `unreachable` nodes refuse connections; `upstreamDown` nodes answer every forward as their
 * forward endpoint does when the worker reports its own model server unreachable.
 */
function setup(
  unreachable: readonly string[] = [],
  entries: NodeEntry[] = [B, C],
  upstreamDown: readonly string[] = [],
  /** Nodes that answer 500 without saying which worker answered (no served-by header). */
  unnamedFailing: readonly string[] = [],
  /** Nodes whose only worker for the model drains: refused as their forward endpoint refuses it. */
  draining: readonly string[] = [],
  /** Nodes whose workers for the model are full by the time the forward comes: refused so. */
  full: readonly string[] = [],
  /** Nodes whose worker for the model left by the time the forward comes: refused as none serves it. */
  notServed: readonly string[] = [],
  /** Nodes whose worker's model server answers 503 with a `Retry-After` (the seconds, by node). */
  serverBusy: Readonly<Record<string, string>> = {},
) {
  const sent: { node: string; request: ForwardRequest }[] = [];
  const registry = createWorkerRegistry();
  const fetchFake = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    if (unreachable.includes(url.hostname.replace(".invalid", "")))
      throw Object.assign(new Error(`connection refused by ${url.host}`), { code: "ECONNREFUSED" });
    const request = JSON.parse(String(init?.body)) as ForwardRequest;
    const id = url.hostname.replace(".invalid", "");
    sent.push({ node: id, request });
    if (upstreamDown.includes(id))
      return forwardRefusal(
        new WorkerUpstreamFault({
          status: 502,
          code: "upstream_error",
          message: `worker ${request.worker}: could not reach the upstream`,
          retryable: true,
        }),
        id,
      );
    const serverRetryAfter = serverBusy[id];
    if (serverRetryAfter !== undefined)
      return forwardRefusal(
        new WorkerUpstreamFault({
          status: 503,
          code: "upstream_error",
          message: "the worker's model server answered 503",
          retryable: true,
          headers: { "retry-after": serverRetryAfter },
        }),
        id,
      );
    if (draining.includes(id)) return forwardRefusal(noWorkerTakes("m", "draining"), id);
    if (full.includes(id)) return forwardRefusal(noWorkerTakes("m", "full"), id);
    if (notServed.includes(id)) return forwardRefusal(noWorkerTakes("m", "not_served"), id);
    if (unnamedFailing.includes(id))
      return new Response('{"error":{"message":"model server crashed"}}', {
        status: 500,
        headers: { "content-type": "application/json" },
      });
    return new Response('{"ok":1}', {
      headers: { "content-type": "application/json", [SERVED_BY_HEADER]: `worker:x@${url.hostname}` },
    });
  };
  const provider = createForwardingProvider({
    local: createWorkersProvider(registry),
    registry,
    directory: listedDirectory(entries),
    secret: "s".repeat(32),
    fetch: fetchFake as typeof fetch,
  });
  return { provider, sent, registry };
}

const call = (operation: ProviderCall["operation"]): ProviderCall => ({
  operation,
  body: { model: "m" },
  stream: false,
  requestId: "r1",
  signal: new AbortController().signal,
  timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
  native: {
    headers: { "openai-beta": "x" },
    query: "?q=1",
    bytes: new TextEncoder().encode('{"model":"m" }'),
  },
});

/** What `act` threw. */
function caught(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("forwarding to a worker on another node", () => {
  test("the least loaded node's worker is chosen, named as on its own node, with what it announced", () => {
    const { provider } = setup();
    const chosen = provider.select?.("m", undefined, platform);
    expect(chosen?.name).toBe("worker:wc");
    expect(chosen?.responsesApi).toBeUndefined();
    // The worker holding a chain is chosen over a less loaded one, and serves Responses natively.
    const holder = provider.select?.("m", "worker:wb", platform);
    expect([holder?.name, holder?.responsesApi]).toEqual(["worker:wb", true]);
    expect(provider.holder?.("worker:wr", platform)?.forward).toBeDefined();
    expect(provider.holder?.("worker:gone", platform)).toBeUndefined();
  });

  test("a shadow copy takes another node's worker only with a slot to spare beside its own, else none", () => {
    const roomy = node("node-b", [{ name: "wb", tenant: platform, models: ["m"], inFlight: 1, capacity: 4 }]);
    expect(setup([], [roomy]).provider.spare?.("m", platform)?.name).toBe("worker:wb");
    // One slot left: a client's request may need it; the copy is shed.
    const lastSlot = node("node-b", [
      { name: "wb", tenant: platform, models: ["m"], inFlight: 3, capacity: 4 },
    ]);
    expect(setup([], [lastSlot]).provider.spare?.("m", platform)).toBeUndefined();
  });

  test("every other node's worker full (as last reported): 503 at capacity with Retry-After, not 'no connected worker'", async () => {
    const full = node("node-b", [{ name: "wb", tenant: platform, models: ["m"], inFlight: 4, capacity: 4 }]);
    const { provider } = setup([], [full]);
    const refusal = (act: () => unknown) => {
      try {
        act();
      } catch (error) {
        return error;
      }
    };
    for (const error of [
      refusal(() => provider.select?.("m", undefined, platform)),
      await provider.call(call("chat")).then(
        () => undefined,
        (error: unknown) => error,
      ),
    ]) {
      expect(error).toMatchObject({ status: 503, code: "unavailable", headers: { "retry-after": "1" } });
      expect((error as Error).message).toContain("at capacity");
    }
  });

  test("a forward the node refused is not cancelled there as the attempt ends: nothing runs there, and a refusing node (a wrong secret) would log and audit the cancel as a second refusal", async () => {
    const { provider, sent } = setup([], [B, C], [], [], ["node-b", "node-c"]);
    const attempt = new AbortController();
    const error = await provider
      .select?.("m", undefined, platform)
      ?.call({ ...call("chat"), signal: attempt.signal })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: "unavailable" });
    // The router ends a failed attempt by aborting its signal (routing/try-route.ts).
    attempt.abort(error);
    expect(sent.map((s) => [s.node, "operation" in s.request ? "forward" : "cancel"])).toEqual([
      ["node-c", "forward"],
      ["node-b", "forward"],
    ]);
  });

  test("a node whose only worker drains refuses the forward as draining: its words and Retry-After reach the caller", async () => {
    const { provider } = setup([], [B], [], [], ["node-b"]);
    const error = await provider
      .select?.("m", undefined, platform)
      ?.call(call("chat"))
      .catch((e: unknown) => e);
    // The refusal was rebuilt without its headers: the caller was told to come back in a second.
    expect(error).toMatchObject({
      status: 503,
      code: "unavailable",
      message: "every worker serving m is draining (on node node-b)",
      headers: { "retry-after": "5" },
    });
  });

  test("every node refusing the forward, the caller is told the refusal soonest over, whatever order the nodes were tried in: full over draining over a node gone over a model server failing over one no longer serving the model", async () => {
    /** How a node refuses: as `setup` has it; `serverBusyNow` and `serverBusyIn1`, a model server's 503 with Retry-After 0 and 1. */
    type Refusing =
      | "full"
      | "draining"
      | "notServed"
      | "unreachable"
      | "upstreamDown"
      | "serverBusyNow"
      | "serverBusyIn1";
    const refusing = (one: Refusing, two: Refusing, first: string, second: string) => {
      const on = (kind: Refusing) => (one === kind ? [first] : two === kind ? [second] : []);
      const serverBusy = Object.fromEntries([
        ...on("serverBusyNow").map((id) => [id, "0"]),
        ...on("serverBusyIn1").map((id) => [id, "1"]),
      ]);
      return setup(
        on("unreachable"),
        [B, C],
        on("upstreamDown"),
        [],
        on("draining"),
        on("full"),
        on("notServed"),
        serverBusy,
      );
    };
    const busy = (retryAfter: string) => ({ status: 503, code: "unavailable", retryAfter });
    const pairs: [
      sooner: Refusing,
      later: Refusing,
      told: { status: number; code: string; retryAfter: string | undefined },
    ][] = [
      ["full", "draining", busy("1")],
      ["full", "notServed", busy("1")],
      ["full", "unreachable", busy("1")],
      ["full", "upstreamDown", busy("1")],
      // A model server's Retry-After says when it may answer, not when a worker has room: not compared.
      ["full", "serverBusyNow", busy("1")],
      ["full", "serverBusyIn1", busy("1")],
      ["draining", "notServed", busy("5")],
      ["draining", "unreachable", busy("5")],
      ["draining", "upstreamDown", busy("5")],
      ["draining", "serverBusyNow", busy("5")],
      ["unreachable", "upstreamDown", { status: 503, code: "unavailable", retryAfter: undefined }],
      ["unreachable", "notServed", { status: 503, code: "unavailable", retryAfter: undefined }],
      ["upstreamDown", "notServed", { status: 502, code: "upstream_error", retryAfter: undefined }],
      // The failing server's own Retry-After goes with its error, as any upstream's.
      ["serverBusyNow", "notServed", { status: 503, code: "upstream_error", retryAfter: "0" }],
    ];
    // node-c (the least loaded) is tried first, then node-b.
    for (const [soonerKind, laterKind, told] of pairs)
      for (const [soonerNode, laterNode] of [
        ["node-c", "node-b"],
        ["node-b", "node-c"],
      ] as const) {
        const { provider } = refusing(soonerKind, laterKind, soonerNode, laterNode);
        const error = (await provider
          .select?.("m", undefined, platform)
          ?.call(call("chat"))
          .catch((e: unknown) => e)) as GatewayError;
        expect({ soonerKind, laterKind, soonerNode, told: error }).toMatchObject({
          soonerKind,
          laterKind,
          soonerNode,
          told: { status: told.status, code: told.code },
        });
        expect({ soonerKind, laterKind, soonerNode, retryAfter: error.headers["retry-after"] }).toEqual({
          soonerKind,
          laterKind,
          soonerNode,
          retryAfter: told.retryAfter,
        });
        expect(error.message).toContain(soonerNode);
        expect(error.message).not.toContain(laterNode);
      }
  });

  test("a worker another node lists as draining is chosen by no node, whatever its room: not for a call, a chain it holds, nor a shadow copy", () => {
    const leaving = node("node-b", [
      {
        name: "wb",
        tenant: platform,
        models: ["m"],
        inFlight: 0,
        capacity: 64,
        responsesApi: true,
        draining: true,
      },
    ]);
    const { provider } = setup([], [leaving, C]);
    expect(provider.select?.("m", undefined, platform).name).toBe("worker:wc");
    // The chain it holds goes on elsewhere, as a local worker's does once it drains.
    expect(provider.select?.("m", "worker:wb", platform).name).toBe("worker:wc");
    expect(provider.spare?.("m", platform)?.name).toBe("worker:wc");
    // What it holds is still read through its node.
    expect(provider.holder?.("worker:wb", platform)?.name).toBe("worker:wb");
  });

  test("a worker that moved from a stopping node is read and deleted through the node it registered with, whichever entry the directory lists first", async () => {
    const listing = {
      name: "wm",
      tenant: platform,
      models: ["m"],
      inFlight: 0,
      capacity: 4,
      responsesApi: true,
    };
    // Its old node stops: it lists the worker it closed, draining, until its entry expires.
    const stopped = {
      ...node("node-stopped", [{ ...listing, draining: true, closed: true as const }]),
      stopping: true,
    };
    const moved = node("node-moved", [listing]);
    const stored = (method: "GET" | "DELETE") => ({
      method,
      path: "/responses/resp_1",
      query: "",
      headers: {},
      requestId: "r1",
      signal: new AbortController().signal,
    });
    for (const entries of [
      [stopped, moved],
      [moved, stopped],
    ]) {
      const { provider, sent } = setup([], entries);
      await provider.holder?.("worker:wm", platform)?.forward?.(stored("GET"));
      await provider.holder?.("worker:wm", platform)?.forward?.(stored("DELETE"));
      // Before: the first entry listing it, the stopping node half the time (SMEMBERS' order).
      expect(sent.map((s) => s.node)).toEqual(["node-moved", "node-moved"]);
    }
    // Closed there and registered nowhere yet: held by none.
    expect(setup([], [stopped]).provider.holder?.("worker:wm", platform)).toBeUndefined();
    // Still held by the stopping node (its drain under way): read there, unless it also serves
    // elsewhere, even draining there.
    const holding = { ...node("node-stopped", [{ ...listing, draining: true }]), stopping: true };
    const drainingThere = node("node-moved", [{ ...listing, draining: true }]);
    const holderOf = (entries: NodeEntry[]) =>
      setup([], entries).provider.holder?.("worker:wm", platform)?.servedBy;
    expect([holderOf([holding]), holderOf([holding, drainingThere])]).toEqual([
      "worker:wm@node-stopped",
      "worker:wm@node-moved",
    ]);
  });

  test("a worker lost here that a stopping node lists as closed is connected nowhere: the re-pick tells the caller none is left, not the lost worker's failure", () => {
    const closedThere = {
      ...node("node-stopped", [
        {
          name: "wm",
          tenant: platform,
          models: ["m"],
          inFlight: 0,
          capacity: 4,
          draining: true,
          closed: true as const,
        },
      ]),
      stopping: true,
    };
    const { provider, registry } = setup([], [closedThere]);
    const here = fakeWorker("wm");
    registry.add(here);
    const chosen = provider.select?.("m", undefined, platform);
    expect(chosen?.name).toBe("worker:wm");
    registry.remove(here, "lost");
    const route = { provider, upstreamModel: "m" } as Route;
    const repick = new WorkerRepicks().after(chosen as Provider, workerLost("wm"), route, {
      tenant: platform,
    });
    // Before: its old node's listing read as the lost worker still connected, and its failure (502
    // worker_lost) was the answer, and the route's.
    expect(repick).toMatchObject({
      status: 503,
      message: "every worker serving m is draining (as other nodes last reported)",
    });
  });

  test("this node's workers draining or full, another node's with room: a shadow copy goes to that one, not shed", () => {
    const { provider, registry } = setup([], [C]);
    const leaving = fakeWorker("wa", { capacity: 64 });
    registry.add(leaving);
    registry.drain(leaving);
    expect(provider.spare?.("m", platform)?.name).toBe("worker:wc");
    // A worker here without a slot to spare beside the copy's is none either.
    registry.add(fakeWorker("wf", { capacity: 2, inFlight: 1 }));
    expect(provider.spare?.("m", platform)?.name).toBe("worker:wc");
    // One with room keeps the copy here.
    registry.add(fakeWorker("wh", { capacity: 4 }));
    expect(provider.spare?.("m", platform)?.name).toBe("worker:wh");
    // None with room anywhere: shed, not refused (the model is served).
    const full = node("node-b", [{ name: "wb", tenant: platform, models: ["m"], inFlight: 4, capacity: 4 }]);
    const alone = setup([], [full]);
    alone.registry.add(leaving);
    alone.registry.drain(leaving);
    expect(alone.provider.spare?.("m", platform)).toBeUndefined();
  });

  test("every other node's worker draining (as last reported): 503 draining with Retry-After: 5, the model still listed", async () => {
    const leaving = node("node-b", [
      { name: "wb", tenant: platform, models: ["m"], inFlight: 0, capacity: 4, draining: true },
    ]);
    const { provider, sent } = setup([], [leaving]);
    const refused = (() => {
      try {
        provider.select?.("m", undefined, platform);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toMatchObject({
      status: 503,
      code: "unavailable",
      message: "every worker serving m is draining (as other nodes last reported)",
      headers: { "retry-after": "5" },
    });
    expect(await provider.listModels?.(new AbortController().signal)).toEqual(["m"]);
    expect(sent).toEqual([]);
  });

  test("this node's workers draining, another node's full (as last reported): 503 at capacity, Retry-After: 1, the sooner over, for a select, a call and a re-pick", async () => {
    const full = node("node-b", [{ name: "wb", tenant: platform, models: ["m"], inFlight: 4, capacity: 4 }]);
    const { provider, registry, sent } = setup([], [full]);
    const leaving = fakeWorker("wa", { capacity: 16 });
    registry.add(leaving);
    registry.drain(leaving);
    const atCapacity = {
      status: 503,
      code: "unavailable",
      message: "every worker serving m is at capacity (as other nodes last reported)",
      headers: { "retry-after": "1" },
    };
    expect(caught(() => provider.select?.("m", undefined, platform))).toMatchObject(atCapacity);
    const error = await provider.call(call("chat")).catch((e: unknown) => e);
    expect(error).toMatchObject(atCapacity);
    expect(provider.onlyBusy?.(error as GatewayError)).toBe(true);
    // The re-pick after this node's other worker failed the call (worker-repicks.ts): busy, not
    // draining, so its fault is not the route's.
    registry.add(fakeWorker("wf"));
    expect(caught(() => provider.select?.("m", undefined, platform, new Set(["worker:wf"])))).toMatchObject(
      atCapacity,
    );
    expect(sent).toEqual([]);
  });

  test("this node's workers full, or draining as another node's are: said in this node's words", () => {
    const leavingThere = node("node-b", [
      { name: "wb", tenant: platform, models: ["m"], inFlight: 0, capacity: 4, draining: true },
    ]);
    const { provider, registry } = setup([], [leavingThere]);
    const here = fakeWorker("wa", { capacity: 1, inFlight: 1 });
    registry.add(here);
    expect(caught(() => provider.select?.("m", undefined, platform))).toMatchObject({
      message: "every worker serving m is at capacity",
      headers: { "retry-after": "1" },
    });
    registry.drain(here);
    expect(caught(() => provider.select?.("m", undefined, platform))).toMatchObject({
      message: "every worker serving m is draining",
      headers: { "retry-after": "5" },
    });
  });

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
});
