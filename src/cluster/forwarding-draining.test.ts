import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { Provider } from "../providers/provider.ts";
import type { Route } from "../routing/route.ts";
import { WorkerRepicks } from "../routing/worker-repicks.ts";
import { workerLost } from "../workers/gateway/tunnel-failures.ts";
import { fakeWorker } from "../workers/testing/fake-worker.ts";
import type { NodeEntry } from "./node-entry.ts";
import { C, call, caught, node, platform, setup } from "./testing/forwarding-setup.ts";

// The calling node's side of forwarding when workers drain, move or fill: which worker is chosen
// and what the caller is told (forwarding-provider.test.ts: the rest of the choice).

describe("forwarding to a worker on another node", () => {
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
});
