import { expect, test } from "bun:test";
import { unreachable } from "./forward-over-http.ts";

const peer = { id: "n2", url: "http://mindgw-2.internal:8080", at: 0, workers: [] };

test("a node that cannot be reached is told by the cause's class and code; the runtime's words, naming its host, kept for the log", () => {
  const error = Object.assign(new Error("getaddrinfo ENOTFOUND mindgw-2.internal"), { code: "ENOTFOUND" });
  const failure = unreachable(peer, error);
  expect([failure.status, failure.code, failure.retryable, failure.message]).toEqual([
    503,
    "unavailable",
    true,
    "node n2 unreachable: DNS lookup failed (ENOTFOUND)",
  ]);
  expect(failure.cause).toBe(error);
  // No code: no words of the runtime's.
  expect(unreachable(peer, new Error("Unable to connect to mindgw-2.internal")).message).toBe(
    "node n2 unreachable",
  );
});
