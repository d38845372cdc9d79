import { expect, test } from "bun:test";
import { raceAbort } from "./race-abort.ts";

/** A signal that counts the abort listeners on it now, and those ever added. */
function countedSignal() {
  const controller = new AbortController();
  let listeners = 0;
  let added = 0;
  const { signal } = controller;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => {
    listeners++;
    added++;
    add(...args);
  };
  signal.removeEventListener = (...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  };
  return { controller, signal, listeners: () => listeners, added: () => added };
}

test("the work settles first: its value or its error, in either mode, and no listener is left", async () => {
  for (const mode of ["reject", "resolve"] as const) {
    const { signal, listeners } = countedSignal();
    expect(await raceAbort(Promise.resolve(7), signal, mode)).toBe(7);
    const failed = raceAbort(Promise.reject(new Error("boom")), signal, mode);
    await expect(failed).rejects.toThrow("boom");
    expect(listeners()).toBe(0);
  }
});

test("the signal aborts first: rejected with its reason, or resolved with nothing, at once, the work left unwaited", async () => {
  const never = new Promise<number>(() => {});
  const rejecting = countedSignal();
  const rejected = raceAbort(never, rejecting.signal, "reject");
  rejecting.controller.abort(new Error("the caller left"));
  await expect(rejected).rejects.toThrow("the caller left");
  const resolving = countedSignal();
  const resolved = raceAbort(never, resolving.signal, "resolve");
  resolving.controller.abort();
  expect(await resolved).toBeUndefined();
});

test("a signal aborted already: settled without a listener", async () => {
  const { controller, signal, listeners, added } = countedSignal();
  controller.abort(new Error("gone"));
  const never = new Promise<number>(() => {});
  await expect(raceAbort(never, signal, "reject")).rejects.toThrow("gone");
  expect(await raceAbort(never, signal, "resolve")).toBeUndefined();
  // None added, not one added and taken off again: the count alone would not tell them apart.
  expect(added()).toBe(0);
  expect(listeners()).toBe(0);
});

test("work that fails after the signal aborted is no unhandled rejection", async () => {
  const controller = new AbortController();
  const { promise, reject } = Promise.withResolvers<void>();
  const waited = raceAbort(promise, controller.signal, "resolve");
  controller.abort();
  await waited;
  // An unhandled rejection fails the test run: the race handles it.
  reject(new Error("late"));
});

test("work that fails, raced with a signal aborted already, is no unhandled rejection", async () => {
  for (const mode of ["reject", "resolve"] as const) {
    const { controller, signal } = countedSignal();
    controller.abort(new Error("gone"));
    const { promise, reject } = Promise.withResolvers<void>();
    const raced = raceAbort(promise, signal, mode).catch(() => undefined);
    reject(new Error("the work failed"));
    await raced;
    // A turn of the event loop, by which an unhandled rejection is reported: it fails the run.
    await new Promise((resolve) => setImmediate(resolve));
  }
});
