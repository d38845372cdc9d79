import { describe, expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { RequestAbort } from "../http/request-abort.ts";
import type { ProviderCall, ProviderReply } from "../providers/provider.ts";
import { waitFor } from "../testing/wait-for.ts";
import {
  chatRequest,
  drain,
  eventsOf,
  fakeProvider,
  jsonReply,
  never,
  routerFor,
  type Script,
  streamReply,
  twoRoutes,
} from "./router-test-kit.ts";

// The router's retries and failover, what telemetry hears of an attempt, and what a translation
// needs of the route. Refusals: router-refusals.test.ts; a 429's wait: router-retry-after.test.ts;
// timeouts and a client that leaves: router-timeouts.test.ts.

const failing =
  (status = 503) =>
  () =>
    Promise.reject(upstreamError(`answered ${status}`));

describe("router: retries and failover", () => {
  test("a retryable failure is retried `retries` times, then the next route serves", async () => {
    const a = fakeProvider("a", failing());
    const b = fakeProvider("b");
    const { router, logs } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const dispatched = await router(chatRequest("m"));
    expect(a.calls).toHaveLength(3);
    expect(b.calls).toHaveLength(1);
    expect(dispatched.attempts).toBe(4);
    expect(dispatched.route).toBe("provider:b");
    expect(dispatched.upstreamModel).toBe("mb");
    expect(b.calls[0]?.body.model).toBe("mb");
    expect(logs).toHaveLength(3);
  });

  test("a retry that succeeds stays on the same route", async () => {
    const a = fakeProvider("a", (_call, n) => (n === 0 ? failing()() : Promise.resolve(jsonReply())));
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 1 }), [a, b]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:a");
    expect(dispatched.attempts).toBe(2);
    expect(b.calls).toHaveLength(0);
  });

  test("with retries 0 each route is tried once; the last error reaches the caller", async () => {
    const a = fakeProvider("a", failing());
    const b = fakeProvider("b", () => Promise.reject(upstreamError("b is down")));
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const error = await router(chatRequest("m")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toBe("b is down");
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(1);
  });

  test("a non-retryable failure is neither retried nor failed over", async () => {
    const a = fakeProvider("a", () =>
      Promise.reject(new GatewayError({ status: 400, code: "invalid_request", message: "bad" })),
    );
    const b = fakeProvider("b");
    const { router } = routerFor(twoRoutes({ retries: 3 }), [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(400);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
  });

  test("an unknown model is a 404 model_not_found", async () => {
    const { router } = routerFor(twoRoutes(), [fakeProvider("a"), fakeProvider("b")]);
    const error = (await router(chatRequest("nope")).catch((e: unknown) => e)) as GatewayError;
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
  });

  test("a stream that fails before its first event fails over", async () => {
    const a = fakeProvider("a", () => Promise.resolve(streamReply(5, 0)));
    const b = fakeProvider("b", () => Promise.resolve(streamReply(3)));
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    expect(dispatched.route).toBe("provider:b");
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    expect(await drain(dispatched.reply.chunks)).toEqual([
      '{"choices":[{"index":0,"delta":{"content":"c0"}}]}',
      '{"choices":[{"index":0,"delta":{"content":"c1"}}]}',
      '{"choices":[{"index":0,"delta":{"content":"c2"}}]}',
      "[DONE]",
    ]);
  });

  test("after the first event the answer is committed: a later failure is thrown, never failed over", async () => {
    const a = fakeProvider("a", () => Promise.resolve(streamReply(5, 2)));
    const b = fakeProvider("b", () => Promise.resolve(streamReply(3)));
    const { router } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    if (dispatched.reply.kind !== "stream") throw new Error("expected a stream");
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of dispatched.reply.kind === "stream" ? eventsOf(dispatched.reply.chunks) : [])
        seen.push(event.data);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(2);
    expect((error as GatewayError).code).toBe("upstream_error");
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
  });

  test("backoff waits between retries and is cut short when the client leaves", async () => {
    const a = fakeProvider("a", failing());
    const controller = new AbortController();
    const { router } = routerFor(twoRoutes({ retries: 3, backoff: "10m" }), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    // The first attempt fails, then the router sleeps (10 minutes) before the retry.
    await waitFor("the first attempt", () => a.calls.length > 0);
    controller.abort();
    const error = (await pending) as GatewayError;
    expect(error.code).toBe("client_closed");
    expect(a.calls).toHaveLength(1);
  });

  test("a provider's copy of its call (a spread, as a body-rewriting provider makes) keeps a signal that aborts with the attempt", async () => {
    const copies: ProviderCall[] = [];
    const a = fakeProvider("a", (call) => {
      const copy = { ...call, body: { rewritten: true } };
      copies.push(copy);
      return new Promise((_, reject) =>
        copy.signal.addEventListener("abort", () => reject(copy.signal.reason)),
      );
    });
    const controller = new AbortController();
    const { router } = routerFor(twoRoutes(), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    await waitFor("the upstream call", () => copies.length > 0);
    expect(copies[0]?.signal).toBe(a.calls[0]?.signal as AbortSignal);
    controller.abort();
    expect(((await pending) as GatewayError).code).toBe("client_closed");
    expect(copies[0]?.signal.aborted).toBe(true);
  });

  test("a client that leaves during a backoff gets no further upstream call", async () => {
    const a = fakeProvider("a", failing());
    const controller = new AbortController();
    const { router, logs } = routerFor(twoRoutes({ retries: 3, backoff: "10m" }), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: controller.signal })).catch((e: unknown) => e);
    // The first attempt's failure is logged, and the router is asleep before the retry.
    await waitFor("the first failure", () => logs.length > 0);
    controller.abort();
    expect(((await pending) as GatewayError).code).toBe("client_closed");
    expect(a.calls).toHaveLength(1);
  });

  test("the front door's request abort (no signal of its own) ends a backoff and the attempt under way", async () => {
    const revoked = new GatewayError({ status: 401, code: "unauthorized", message: "key revoked" });
    const a = fakeProvider("a", (call, n) => (n === 0 ? failing()() : never(call)));
    const client = new AbortController();
    const abort = new RequestAbort(client.signal);
    const { router } = routerFor(twoRoutes({ retries: 3, backoff: "1ms" }), [a, fakeProvider("b")]);
    const pending = router(chatRequest("m", { signal: abort })).catch((e: unknown) => e);
    // The retry is under way (after the backoff): the abort reaches its upstream call directly.
    await waitFor("the retry", () => a.calls.length > 1);
    abort.abort(revoked);
    expect(await pending).toBe(revoked);
    expect(a.calls[1]?.signal.aborted).toBe(true);

    const sleeping = new RequestAbort(new AbortController().signal);
    const b = fakeProvider("a", failing());
    const slow = routerFor(twoRoutes({ retries: 3, backoff: "10m" }), [b, fakeProvider("b")]);
    const cut = slow.router(chatRequest("m", { signal: sleeping })).catch((e: unknown) => e);
    await waitFor("the first attempt", () => b.calls.length > 0);
    sleeping.abort(revoked);
    expect(await cut).toBe(revoked);
    expect(b.calls).toHaveLength(1);
    abort.release();
    sleeping.release();
  });
});

describe("router: what telemetry hears of an attempt", () => {
  const recorder = () => {
    const heard: string[] = [];
    const telemetry = {
      attempt: () => ({
        traceparent: undefined,
        settled: (error?: GatewayError, servedBy?: string) =>
          heard.push(`settled ${error?.code ?? "ok"} ${servedBy ?? "-"}`),
        closed: (error?: GatewayError) => heard.push(`closed ${error?.code ?? "ok"}`),
      }),
    };
    return { heard, telemetry };
  };
  const httpAnswer = (init: { stream: boolean }) => (): Promise<ProviderReply> => {
    const body = init.stream
      ? 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'
      : JSON.stringify({
          id: "x",
          choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        });
    const type = init.stream ? "text/event-stream" : "application/json";
    return Promise.resolve({
      kind: "http",
      response: new Response(body, { headers: { "content-type": type } }),
      servedBy: "worker:w1",
    });
  };
  const passing = (name: string, script: Script) => ({ ...fakeProvider(name, script), passThrough: true });

  for (const stream of [false, true]) {
    test(`a ${stream ? "stream" : "body"} done within its first read is settled (with who served it) before it is closed`, async () => {
      const { heard, telemetry } = recorder();
      const a = passing("a", httpAnswer({ stream }));
      const { router } = routerFor(twoRoutes(), [a, fakeProvider("b")]);
      const dispatched = await router(chatRequest("m", { stream, telemetry }));
      if (dispatched.reply.kind === "stream") await drain(dispatched.reply.chunks);
      await waitFor("the attempt closed", () => heard.length === 2);
      expect(heard).toEqual(["settled ok worker:w1", "closed ok"]);
    });
  }
});

describe("router: what a translation needs of the route", () => {
  test("a chat call without a bound, on an Anthropic route, gets the route model's output limit", async () => {
    const message = { id: "msg", type: "message", role: "assistant", content: [], stop_reason: "end_turn" };
    const anthropic = {
      ...fakeProvider("a", () => Promise.resolve(jsonReply(message))),
      dialect: "anthropic" as const,
    };
    const config = {
      providers: [{ name: "a", type: "anthropic" }],
      models: [{ name: "gpt-5.5", routes: [{ provider: "a", model: "claude-opus-4-6" }] }],
    };
    const { router } = routerFor(config, [anthropic]);
    await router(chatRequest("gpt-5.5"));
    // The caller's model name says nothing of Anthropic's limits; the route's does.
    expect(anthropic.calls[0]?.body).toMatchObject({ model: "claude-opus-4-6", max_tokens: 128_000 });
  });
});
