import { expect, test } from "bun:test";
import { guardedCalls } from "./guarded-calls.ts";

/** A store written in JavaScript, keeping its promises loosely: `as` stands for its missing types. */
const store = {
  name: "s",
  async answers() {
    return this.name;
  },
  plain: () => undefined as unknown as Promise<undefined>,
  plainValue(this: { name: string }) {
    return `${this.name}!` as unknown as Promise<string>;
  },
  throwsAtOnce: (): Promise<never> => {
    throw new Error("pool is closed");
  },
  rejects: () => Promise.reject(new Error("connection reset")),
};
const failed = (error: unknown): never => {
  throw new Error(`store failed: ${(error as Error).message}`);
};

test("a method's throw before any promise, its rejection, or its plain value are an async call's, on its own object", async () => {
  const guarded = guardedCalls(store, failed);
  expect(await guarded(store.answers)()).toBe("s");
  expect(await guarded(store.plain)()).toBeUndefined();
  expect(await guarded(store.plainValue)()).toBe("s!");
  const thrown = guarded(store.throwsAtOnce)();
  expect(thrown).toBeInstanceOf(Promise);
  await expect(thrown).rejects.toThrow("store failed: pool is closed");
  await expect(guarded(store.rejects)()).rejects.toThrow("store failed: connection reset");
  // Without `failed`, a failure is passed on as it is.
  await expect(guardedCalls(store)(store.throwsAtOnce)()).rejects.toThrow(/^pool is closed$/);
});
