import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { B, C, call, node, platform, setup } from "./testing/forwarding-setup.ts";

// The calling node's side of forwarding, with the directory as last read and the other nodes
// answering through an injected fetch: which worker is chosen, what the forward names, and
// where a call goes when the chosen node is gone. (The wire end to end: test/e2e/cluster.test.ts.)
// Workers that drain, move or fill: forwarding-draining.test.ts; what the forward carries and
// where a failed one goes: forwarding-wire.test.ts.

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
});
