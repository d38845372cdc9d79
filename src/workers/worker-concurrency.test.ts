import { afterEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { collect, startGatewayWithWorker, waitFor } from "./testing/tunnel-harness.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const held = { model: "llama-small", stream: true, fake: { chunks: 3, holdAfterFirst: true } };

describe("a worker's --concurrency", () => {
  test("the call past it is refused at the gateway (503, Retry-After: 1), never sent to the worker", async () => {
    const { gateway, upstream } = await startGatewayWithWorker(cleanups, { concurrency: 2 });
    await waitFor("registration", () => gateway.registry.serves("llama-small"));
    const replies = [];
    for (const requestId of ["a", "b"]) {
      replies.push(await gateway.call({ body: held, stream: true, requestId }));
      await waitFor(`${requestId}'s first chunk`, () => upstream.produced.get(requestId) === 1);
    }
    const refused = (await gateway
      .call({ body: { model: "llama-small" }, requestId: "c" })
      .catch((e) => e)) as GatewayError;
    expect([refused.status, refused.headers["retry-after"]]).toEqual([503, "1"]);
    expect(refused.message).toBe("every worker serving llama-small is at capacity");
    expect(upstream.seen.has("c")).toBe(false);
    for (const requestId of ["a", "b"]) upstream.release(requestId);
    for (const reply of replies) expect(await collect(reply)).toHaveLength(4);
  });

  test("a call the client gave up frees its slot at once: the next call (stop, then regenerate) is served", async () => {
    const { gateway, upstream } = await startGatewayWithWorker(cleanups, { concurrency: 1 });
    await waitFor("registration", () => gateway.registry.serves("llama-small"));
    for (const round of [1, 2, 3]) {
      const client = new AbortController();
      const requestId = `stopped-${round}`;
      const reply = await gateway.call({ body: held, stream: true, requestId, signal: client.signal });
      await waitFor("the first chunk", () => upstream.produced.get(requestId) === 1);
      client.abort();
      const drained = collect(reply).catch(() => []);
      // The gateway frees the slot as it sends `cancel`; the worker must count it free as well,
      // not refuse the next call as over its limit while the cut upstream call unwinds.
      const next = await gateway.call({ body: { model: "llama-small" }, requestId: `again-${round}` });
      expect(next.kind).not.toBe("stream");
      await drained;
      await waitFor("the stopped call cut upstream", () => upstream.aborted.has(requestId));
    }
  });
});
