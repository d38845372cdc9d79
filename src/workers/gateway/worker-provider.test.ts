import { describe, expect, test } from "bun:test";
import { fakeWorker } from "../testing/fake-worker.ts";
import { createWorkersProvider } from "./worker-provider.ts";
import { createWorkerRegistry } from "./worker-registry.ts";

describe("workers provider", () => {
  test("a worker is one provider from call to call, picked or named as a holder; another worker is another", () => {
    const registry = createWorkerRegistry();
    registry.add(fakeWorker("a", { models: ["m"] }));
    registry.add(fakeWorker("b", { models: ["n"] }));
    const workers = createWorkersProvider(registry);
    const first = workers.select?.("m");
    expect(first?.name).toBe("worker:a");
    expect(workers.select?.("m")).toBe(first as NonNullable<typeof first>);
    expect(workers.holder?.("worker:a")).toBe(first);
    expect(workers.select?.("n")).not.toBe(first);
  });
});
