import { expect, test } from "bun:test";
import { REPLACED, tunnelFailure, WorkerReplaced } from "./tunnel-failures.ts";

test("a worker behind another node that node closed on purpose (its key revoked) is said as that node said it, not as lost", () => {
  const revoked = tunnelFailure(
    "w1@node-b",
    "worker_lost",
    "worker w1 was disconnected: its key was revoked",
  );
  expect([revoked.code, revoked.message, revoked.retryable]).toEqual([
    "worker_lost",
    "worker w1@node-b was disconnected: its key was revoked",
    true,
  ]);
  // A worker that dropped there, or a node that says no more: lost.
  expect(tunnelFailure("w1@node-b", "worker_lost", "worker w1 was lost").message).toBe(
    "worker w1@node-b was lost",
  );
  expect(tunnelFailure("w1@node-b", "worker_lost", "").message).toBe("worker w1@node-b was lost");
});

test("a peer's worker whose name holds ' was disconnected: ' and was lost there is lost, its reason read past its name only", () => {
  // The words were searched for anywhere, and found in the name: 'worker … was disconnected: x was lost'.
  const name = "w was disconnected: x";
  expect(tunnelFailure(`${name}@node-b`, "worker_lost", `worker ${name} was lost`).message).toBe(
    `worker ${name}@node-b was lost`,
  );
  expect(
    tunnelFailure(`${name}@node-b`, "worker_lost", `worker ${name} was disconnected: its key expired`)
      .message,
  ).toBe(`worker ${name}@node-b was disconnected: its key expired`);
  // A node's name may hold an `@` too: the worker's is what the peer put before ` was`.
  expect(
    tunnelFailure("w@1@node@b", "worker_lost", "worker w@1 was disconnected: its key expired").message,
  ).toBe("worker w@1@node@b was disconnected: its key expired");
});

test("a peer's worker whose connection a newer one under its name replaced there is WorkerReplaced, in that node's words; one disconnected otherwise or lost is not", () => {
  const replaced = tunnelFailure("w1@node-b", "worker_lost", `worker w1 ${REPLACED}`);
  expect(replaced).toBeInstanceOf(WorkerReplaced);
  expect([replaced.status, replaced.code, replaced.message]).toEqual([
    502,
    "worker_lost",
    `worker w1@node-b ${REPLACED}`,
  ]);
  for (const said of ["worker w1 was disconnected: its key was revoked", "worker w1 was lost", ""])
    expect(tunnelFailure("w1@node-b", "worker_lost", said)).not.toBeInstanceOf(WorkerReplaced);
});
