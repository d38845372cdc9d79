import { expect, test } from "bun:test";
import { tunnelFailure } from "./tunnel-failures.ts";

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
