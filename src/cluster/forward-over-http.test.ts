import { expect, test } from "bun:test";
import type { CancelHook } from "../core/cancel-hook.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { errorCode } from "../core/why-unreachable.ts";
import { CallCancel } from "../providers/http/call-cancel.ts";
import type { ProviderCall } from "../providers/provider.ts";
import { freePort } from "../testing/free-port.ts";
import { waitFor } from "../testing/wait-for.ts";
import { busyRefusal } from "../workers/gateway/capacity-refusal.ts";
import {
  REPLACED,
  WorkerReplaced,
  WorkerUpstreamFault,
  workerLost,
} from "../workers/gateway/tunnel-failures.ts";
import { CANCEL_PATH, FORWARD_PATH, forwardRefusal } from "./forward-endpoint.ts";
import { forwardOverHttp, type PeerHttp, refusal, unreachable } from "./forward-over-http.ts";

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

/**
 * A forward of a chat call to `url`, over real `fetch`, to a node taking forward format
 * `forwardVersion` (none: a node from before the second), the call cut through `cancel` if given;
 * `sent` lists every URL posted to.
 */
function forwardTo(url: string, forwardVersion?: number, cancel?: CancelHook) {
  const sent: string[] = [];
  const http: PeerHttp = {
    secret: "s".repeat(32),
    send: ((input: string, init?: RequestInit) => {
      sent.push(new URL(input).pathname);
      return fetch(input, init);
    }) as typeof fetch,
  };
  const attempt = new AbortController();
  const call: ProviderCall = {
    operation: "chat",
    body: { model: "m" },
    stream: false,
    requestId: "r1",
    signal: attempt.signal,
    timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
    ...(cancel ? { cancel } : {}),
  };
  const failure = forwardOverHttp(http, { ...peer, url, forwardVersion }, call, "default", "w").catch(
    (e: unknown) => e,
  );
  return { sent, attempt, failure };
}

test("a forward whose connection is reset once sent may be running there: the attempt's end still cancels it; one never connected (refused) owes no cancel", async () => {
  // Takes the forward, then resets the connection: the other node may have started it.
  const resetting = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data: (socket) => socket.terminate() },
  });
  const closedPort = freePort();
  try {
    const reset = forwardTo(`http://127.0.0.1:${resetting.port}`);
    expect(errorCode(await reset.failure)).toBe("ECONNRESET");
    // The router ends a failed attempt by aborting its signal (routing/try-route.ts).
    reset.attempt.abort(new Error("attempt over"));
    expect(reset.sent).toEqual([FORWARD_PATH, CANCEL_PATH]);

    const refused = forwardTo(`http://127.0.0.1:${closedPort}`);
    expect(errorCode(await refused.failure)).toBe("ECONNREFUSED");
    refused.attempt.abort(new Error("attempt over"));
    expect(refused.sent).toEqual([FORWARD_PATH]);
  } finally {
    resetting.stop(true);
  }
});

test("a node refusing the forward as busy says when to come back in its Retry-After: told as the gateway tells any wait, a day at most; a model server's own wait is relayed as it came", async () => {
  // The other node's forward endpoint, refusing as its own does (`forwardRefusal`), by the path.
  const refusals: Record<string, GatewayError> = {
    "/a": busyRefusal("every worker serving m is at capacity", "99999999999"),
    "/b": busyRefusal("every worker serving m is at capacity", "soon"),
    "/c": busyRefusal("every worker serving m is at capacity", "-30"),
    "/d": busyRefusal("every worker serving m is draining", "5"),
    "/e": new WorkerUpstreamFault({
      status: 503,
      code: "upstream_error",
      message: "the worker's model server answered 503",
      retryable: true,
      headers: { "retry-after": "99999999999" },
    }),
  };
  const node = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => {
      const refused = refusals[`/${new URL(request.url).pathname.split("/")[1]}`];
      return refused ? forwardRefusal(refused, "n2") : new Response("no such path", { status: 404 });
    },
  });
  try {
    const told: (string | undefined)[] = [];
    for (const prefix of Object.keys(refusals)) {
      const { failure } = forwardTo(`http://127.0.0.1:${node.port}${prefix}`);
      // The forward is answered with the node's refusal, read as the calling node reads it.
      const refused = await refusal((await failure) as Response, "n2");
      told.push(refused.headers["retry-after"]);
    }
    expect(told).toEqual(["86400", "1", "1", "5", "99999999999"]);
  } finally {
    node.stop(true);
  }
});

test("a call its longest bound cut says so in its cancel (timedOut) only to a node taking the fourth format: one before refuses the field (its cancel schema is strict)", async () => {
  // The other node: takes every forward, and keeps each cancel's body, by the format it was sent.
  const cancels: Record<string, unknown> = {};
  const node = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: async (request) => {
      const path = new URL(request.url).pathname;
      if (path.endsWith(CANCEL_PATH)) cancels[path.split("/")[1] ?? ""] = await request.json();
      return Response.json({});
    },
  });
  try {
    // The router's attempt, cut by its bound before the first byte, no route waiting longer.
    const cutAtBound = (): CancelHook => Object.assign(new CallCancel(), { cutAtLongestBound: () => true });
    for (const version of [3, 4]) {
      const forward = forwardTo(`http://127.0.0.1:${node.port}/v${version}`, version, cutAtBound());
      expect(await forward.failure).toBeInstanceOf(Response);
      forward.attempt.abort(new Error("timed out"));
    }
    await waitFor("both cancels", () => Object.keys(cancels).length === 2);
    const forwardId = expect.any(String);
    expect(cancels).toEqual({ v3: { forwardId }, v4: { forwardId, timedOut: true } });
  } finally {
    node.stop(true);
  }
});

test("a node whose worker a newer connection under its name replaced says so in its refusal (workerReplaced), read back as WorkerReplaced; a worker lost otherwise is not", async () => {
  const replaced = forwardRefusal(workerLost("w1", REPLACED), "n2");
  expect(await replaced.clone().json()).toMatchObject({ code: "worker_lost", workerReplaced: true });
  const read = await refusal(replaced, "n2");
  expect(read).toBeInstanceOf(WorkerReplaced);
  expect([read.status, read.code, read.retryable, read.message]).toEqual([
    502,
    "worker_lost",
    true,
    `worker w1 ${REPLACED} (on node n2)`,
  ]);
  const lost = forwardRefusal(workerLost("w1"), "n2");
  expect(await lost.clone().json()).not.toHaveProperty("workerReplaced");
  expect(await refusal(lost, "n2")).not.toBeInstanceOf(WorkerReplaced);
});
