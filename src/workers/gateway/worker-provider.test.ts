import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
import { fakeWorker } from "../testing/fake-worker.ts";
import { createWorkersProvider } from "./worker-provider.ts";
import { createWorkerRegistry } from "./worker-registry.ts";

/** What `select` throws. */
function refusal(select: () => unknown): unknown {
  try {
    select();
  } catch (error) {
    return error;
  }
  throw new Error("select did not throw");
}

describe("workers provider", () => {
  test("a worker is one provider from call to call, picked or named as a holder; another worker is another", () => {
    const registry = createWorkerRegistry();
    registry.add(fakeWorker("a", { models: ["m"] }));
    registry.add(fakeWorker("b", { models: ["n"] }));
    const workers = createWorkersProvider(registry);
    const first = workers.select?.("m", undefined, "default");
    expect(first?.name).toBe("worker:a");
    expect(workers.select?.("m", undefined, "default")).toBe(first as NonNullable<typeof first>);
    expect(workers.holder?.("worker:a", "default")).toBe(first);
    expect(workers.select?.("n", undefined, "default")).not.toBe(first);
  });

  test("a caller is narrowed to its own tenant's workers and the default tenant's, holders included", () => {
    const registry = createWorkerRegistry();
    registry.add(fakeWorker("box-a", { tenant: "team-a", models: ["llama"] }));
    registry.add(fakeWorker("box-b", { tenant: "team-b", models: ["llama"] }));
    registry.add(fakeWorker("shared", { models: ["small"] }));
    const workers = createWorkersProvider(registry);
    const picks = [1, 2, 3, 4].map(() => workers.select?.("llama", undefined, "team-a").name);
    expect(picks).toEqual(["worker:box-a", "worker:box-a", "worker:box-a", "worker:box-a"]);
    // The conversation another tenant's worker holds is not continued there.
    expect(workers.select?.("llama", "worker:box-b", "team-a").name).toBe("worker:box-a");
    expect(workers.holder?.("worker:box-b", "team-a")).toBeUndefined();
    expect(workers.select?.("small", undefined, "team-a").name).toBe("worker:shared");
    expect(workers.select?.("small", undefined, "team-b").name).toBe("worker:shared");
    // Outside every tenant: only the platform's workers, and another tenant's model is not there.
    expect(refusal(() => workers.select?.("llama", undefined, "default"))).toMatchObject({
      status: 503,
      code: "no_route_available",
    });
  });

  test("at capacity or not there is said of the caller's own workers", () => {
    const registry = createWorkerRegistry();
    registry.add(fakeWorker("box-a", { tenant: "team-a", models: ["llama"], capacity: 1, inFlight: 1 }));
    const workers = createWorkersProvider(registry);
    expect(refusal(() => workers.select?.("llama", undefined, "team-a"))).toMatchObject({
      status: 503,
      code: "unavailable",
    });
    expect(refusal(() => workers.select?.("llama", undefined, "team-b"))).toMatchObject({
      code: "no_route_available",
      message: "no connected worker serves llama",
    });
  });

  test("a refusal names why no worker takes the call: all draining, or at capacity when one that is not draining is full", () => {
    const registry = createWorkerRegistry();
    const draining = fakeWorker("leaving", { models: ["slow-model"], capacity: 8, inFlight: 2 });
    draining.draining = true;
    registry.add(draining);
    const workers = createWorkersProvider(registry);
    const said = (error: unknown) => {
      const { status, code, message, headers } = error as GatewayError;
      return { status, code, message, retryAfter: headers["retry-after"] };
    };
    // Its room is no room: it takes nothing new, and the model is back once another registers.
    expect(said(refusal(() => workers.select?.("slow-model", undefined, "default")))).toEqual({
      status: 503,
      code: "unavailable",
      message: "every worker serving slow-model is draining",
      retryAfter: "5",
    });
    // A full worker beside it frees a slot as soon as a request ends: the more hopeful reason.
    registry.add(fakeWorker("full", { models: ["slow-model"], capacity: 1, inFlight: 1 }));
    expect(said(refusal(() => workers.select?.("slow-model", undefined, "default")))).toEqual({
      status: 503,
      code: "unavailable",
      message: "every worker serving slow-model is at capacity",
      retryAfter: "1",
    });
  });

  test("a shadow copy's worker keeps a slot free for clients: never a worker's last one", () => {
    const registry = createWorkerRegistry();
    const small = fakeWorker("small", { models: ["m"], capacity: 1 });
    const big = fakeWorker("big", { models: ["m"], capacity: 3, inFlight: 1 });
    registry.add(small);
    registry.add(big);
    const workers = createWorkersProvider(registry);
    // The idle one-slot worker is less busy, but its only slot is a client's.
    expect(workers.spare?.("m", "default")?.name).toBe("worker:big");
    big.inFlight = 2;
    expect(workers.spare?.("m", "default")).toBeUndefined();
    // A client's request still gets either worker's last slot.
    expect(workers.select?.("m", undefined, "default").name).toBe("worker:small");
    expect(refusal(() => workers.spare?.("other", "default"))).toMatchObject({
      code: "no_route_available",
      message: "no connected worker serves other",
    });
  });
});
