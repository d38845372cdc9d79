import { afterEach, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { encodeFrame } from "../workers/protocol.ts";
import { MAX_MESSAGE_BYTES } from "../workers/testing/tunnel-harness.ts";
import { silentLog } from "../workers/worker-log.ts";
import { PeerLink } from "./peer-link.ts";
import { bareLinkPeer } from "./testing/peer-link-nodes.ts";

// A node refusing a forward over its peer link (every worker there busy or draining) says when to
// come back in its `error` frame's `retryAfter`, checked on the wire only for printable ASCII of at
// most 64 characters. The calling node's client is told it as the gateway tells any wait: whole
// seconds, a day at most, a number a client reads; words or a negative number, the busy default.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A node's link endpoint that refuses each request as busy, with `retryAfter` as its wait. */
function refusingPeer(retryAfter: string): string {
  const server = bareLinkPeer({
    text(ws, text) {
      for (const [, id] of text.matchAll(/"type":"request","id":"(\d+)"/g))
        if (id)
          ws.send(
            encodeFrame({
              type: "error",
              id,
              code: "unavailable",
              message: "every worker is at capacity",
              retryAfter,
            }),
          );
    },
  });
  cleanups.push(() => server.stop(true));
  return `http://127.0.0.1:${server.port}`;
}

test.each([
  ["a wait past a day", "99999999999", "86400"],
  ["a fraction of a second", "0.2", "1"],
  ["an exponent", "1e3", "1000"],
  ["a negative number", "-30", "1"],
  ["words", "soon", "1"],
  ["a draining node's wait", "5", "5"],
])("%s (%p) is told %p", async (_, said, told) => {
  const link = new PeerLink({
    node: "node-b",
    url: refusingPeer(said),
    secret: "cluster-secret-for-tests",
    maxMessageBytes: MAX_MESSAGE_BYTES,
    log: silentLog,
  });
  cleanups.push(() => link.close());
  const tunnel = await link.ready();
  if (!tunnel) throw new Error("the link did not open");
  const refusal = (await tunnel
    .open({
      path: "/chat/completions",
      body: { model: "m" },
      stream: false,
      requestId: "r1",
      signal: new AbortController().signal,
      worker: "w",
    })
    .catch((error: unknown) => error)) as GatewayError;
  expect([refusal.status, refusal.code, refusal.headers["retry-after"]]).toEqual([503, "unavailable", told]);
});
