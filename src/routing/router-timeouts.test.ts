import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { waitFor } from "../testing/wait-for.ts";
import {
  chatRequest,
  drain,
  eventsOf,
  fakeProvider,
  never,
  routerFor,
  streamReply,
  twoRoutes,
} from "./router-test-kit.ts";

// The router's timeouts (connect, idle, whole) and a client that leaves or stops reading.

const providers = (...names: string[]) => names.map((name) => ({ name, type: "openai" }));

describe("router: timeouts and cancellation", () => {
  const slow = (timeouts: object) => ({
    providers: providers("a"),
    models: [{ name: "m", routes: [{ provider: "a", model: "ma", timeouts }] }],
    routing: { retries: 0 },
  });

  test("an upstream that never answers ends in a 504 and its call is aborted", async () => {
    const a = fakeProvider("a", never);
    const { router } = routerFor(slow({ first_byte: "5ms" }), [a]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(504);
    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("first byte");
    expect(a.calls[0]?.signal.aborted).toBe(true);
  });

  test("a stream waits for headers under the connect bound", async () => {
    const a = fakeProvider("a", never);
    const { router } = routerFor(slow({ connect: "5ms" }), [a]);
    const error = (await router(chatRequest("m", { stream: true })).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(504);
    expect(error.message).toContain("response headers");
  });

  test("silence between stream events past the idle bound is a 504 inside the stream", async () => {
    async function* stalls() {
      yield { data: "{}" };
      await new Promise(() => {});
    }
    const a = fakeProvider("a", () => Promise.resolve({ kind: "stream", events: stalls() }));
    const { router } = routerFor(slow({ idle: "5ms" }), [a]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    const error = (await drain(dispatched.reply.chunks).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("the next chunk");
    expect(a.calls[0]?.signal.aborted).toBe(true);
  });

  test("a client that leaves while waiting aborts the upstream call (499, not retried)", async () => {
    const a = fakeProvider("a", never);
    const b = fakeProvider("b");
    const controller = new AbortController();
    const { router } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    await waitFor("the first attempt", () => a.calls.length > 0);
    controller.abort();
    expect(((await pending) as GatewayError).code).toBe("client_closed");
    expect(a.calls[0]?.signal.aborted).toBe(true);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
  });

  test("a client that stops reading mid-stream aborts the upstream call", async () => {
    const a = fakeProvider("a", () => Promise.resolve(streamReply(100)));
    const { router } = routerFor(slow({}), [a]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    for await (const _event of eventsOf(dispatched.reply.chunks)) break;
    expect(a.calls[0]?.signal.aborted).toBe(true);
  });
});
