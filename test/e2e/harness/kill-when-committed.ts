import { expect } from "bun:test";
import type { Subprocess } from "bun";
import { waitFor } from "./wait-for.ts";

/**
 * SIGKILL a gateway under load at a moment the test can reason about without a clock: once every
 * request answered so far (`answered`, read now) has its row committed, as the store reads it
 * (`committedIds`: a second handle on the database, or the admin API, never the writer's queue).
 * `committedIds` is given the moment `answered` was read (`Date.now()`): every request in it
 * started no later (the gateway stamps a request's start with the same clock), so a read can stop
 * there (`to`) rather than page through the whole load on every poll.
 * The load keeps running through the wait and the kill, so the kill still lands with rows queued
 * and a batch in flight. Returns the requests acknowledged before it: their rows must survive.
 *
 * Why not a time window before the kill: how long a row waits in the writer's queue is the flush
 * window only while the gateway gets the CPU; on a loaded 2-core machine its timer fires late and
 * the audit thread starts late, by hundreds of milliseconds (s25-flakes, docs/BENCHMARKS-HISTORY.md).
 * The window itself is the writer's unit tests' (src/audit/audit-writer.test.ts).
 */
export async function killWhenCommitted(
  proc: Subprocess,
  answered: Iterable<string>,
  committedIds: (answeredBy: number) => Promise<Iterable<string>> | Iterable<string>,
): Promise<string[]> {
  const acknowledged = [...answered];
  const answeredBy = Date.now();
  await waitFor(
    "the rows of the requests answered so far to be committed",
    async () => {
      const committed = new Set(await committedIds(answeredBy));
      return acknowledged.every((id) => committed.has(id));
    },
    20_000,
  );
  proc.kill("SIGKILL");
  await waitFor("the killed gateway to exit", () => proc.exitCode !== null || proc.signalCode !== null);
  return acknowledged;
}

/**
 * What RELIABILITY.md promises of a kill, read after it: no row twice, no row of a request never
 * sent, and every row committed before the kill kept (what can be missing is only what was still
 * queued or being written).
 */
export function expectKillKept(
  rowIds: readonly string[],
  sent: ReadonlySet<string>,
  acknowledged: readonly string[],
) {
  expect(new Set(rowIds).size).toBe(rowIds.length);
  expect(rowIds.filter((id) => !sent.has(id))).toEqual([]);
  const kept = new Set(rowIds);
  expect(acknowledged.filter((id) => !kept.has(id))).toEqual([]);
}
