import { afterAll, beforeAll, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { waitFor } from "../testing/wait-for.ts";
import { copyFailure } from "./read-copy.ts";
import { twin as twinAt, twinCopy as twinCopyTo } from "./shadow-owned-fixture.ts";
import { pairFacts } from "./shadow-record.ts";
import { createShadowThread } from "./shadow-thread-client.ts";

// The gateway's side of the shadow thread: its waiters let go of answered copies, and a thread
// that stopped or failed answers what it was handed at once, so that neither the cap nor a stop
// waits on it.

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.stop());

const twin = () => twinAt(fake.url);
const twinCopy = () => twinCopyTo(fake.url);

test("copies the thread answered are not kept alive by young collections (its Map of waiters kept them)", async () => {
  const thread = createShadowThread();
  const copy = twinCopy();
  // What a waiter holds of its copy: the copy's signal (an abort listener on it, until answered).
  const kept = await keptAfterChurn(
    () => new AbortController().signal,
    (signal) => thread.exchange(copy, signal),
    (answered) => answered,
  );
  // The Map kept 489 of 500.
  expect(kept).toBeLessThan(50);
  thread.close();
});

test("a thread that failed or stopped answers a handed copy as done at once: the cap and a stop never wait on it", async () => {
  const done: number[] = [];
  const thread = createShadowThread({ done: (id) => done.push(id), records: () => {} });
  thread.close();
  expect(thread.usable()).toBe(false);
  const id = thread.hand({
    ...twinCopy(),
    pair: {
      facts: pairFacts({ model: "m", stream: false, operation: "chat", body: {} }, twin()),
      timeoutMs: 1000,
    },
  });
  await waitFor("the copy answered as done", () => done.includes(id));
  await expect(
    thread.exchange({ ...twinCopy(), url: "", body: "" }, new AbortController().signal),
  ).rejects.toThrow("stopped");
});

test("a thread that fails with owned pairs in it says how many are lost, answers each as done, and fails later copies", async () => {
  const done: number[] = [];
  const failures: { lost: number; reason: string }[] = [];
  const spans: (string | undefined)[] = [];
  const thread = createShadowThread(
    {
      done: (id, ended) => {
        done.push(id);
        // Lost, not ended: the copy's span closes as the thread's failure.
        spans.push(copyFailure(ended)?.code);
      },
      records: () => {},
      failed: (lost, reason) => failures.push({ lost, reason }),
    },
    () => new URL("./failing-thread-fixture.ts", import.meta.url).href,
  );
  const copy = {
    ...twinCopy(),
    pair: {
      facts: pairFacts({ model: "m", stream: false, operation: "chat", body: {} }, twin()),
      timeoutMs: 60_000,
    },
  };
  const ids = [thread.hand(copy), thread.hand(copy)];
  await waitFor("the thread's failure reported", () => failures.length > 0);
  expect(failures).toEqual([{ lost: 2, reason: expect.stringContaining("broke on purpose") }]);
  expect(done.sort((a, b) => a - b)).toEqual(ids);
  expect(spans).toEqual(["unavailable", "unavailable"]);
  expect(thread.usable()).toBe(false);
  await expect(thread.exchange(copy, new AbortController().signal)).rejects.toThrow(
    "the shadow thread failed",
  );
  thread.close();
});
