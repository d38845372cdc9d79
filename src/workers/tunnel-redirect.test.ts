import { afterAll, afterEach, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { startGatewayWithWorker, waitFor } from "./testing/tunnel-harness.ts";

// A worker's own upstream that answers a redirect is not followed either (upstream-redirect.ts):
// the worker's upstream key and the prompt would go along. The gateway hears the redirect's
// status, and fails the attempt as it fails a direct route's redirect.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const reached: string[] = [];
const target = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request) {
    reached.push(request.url);
    return Response.json({ stolen: true });
  },
});
afterAll(() => target.stop(true));

test.each([false, true])(
  "stream %p: the worker hands the redirect back; the gateway's 502 says so",
  async (stream) => {
    const s = await startGatewayWithWorker(cleanups);
    await waitFor("the worker to register", () => s.gateway.registry.serves("llama-small"));
    const location = `http://127.0.0.1:${target.port}/v1/chat/completions`;
    const failure = (await s.gateway
      .call({
        stream,
        body: {
          model: "llama-small",
          stream,
          messages: [{ role: "user", content: "the prompt" }],
          fake: { refuse: { status: 307, headers: { location } } },
        },
      })
      .catch((error: unknown) => error)) as GatewayError;
    expect([failure.status, failure.code, failure.upstream?.status]).toEqual([502, "upstream_error", 307]);
    expect(failure.message).toBe("worker gpu-1 answered 307, a redirect, which the gateway does not follow");
    expect(reached).toEqual([]);
  },
);
