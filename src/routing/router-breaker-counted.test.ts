import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { answerTo, BREAKER, chatRequest, fakeProvider, routerFor, twoRoutes } from "./router-test-kit.ts";

// Which failures count towards opening a route's breaker: a fault of the route does; a worker's,
// the caller's, a rate limit and an operation the caller chose do not.

describe("router: what the breaker counts", () => {
  test("a worker lost is that worker's end, not the route's: the breaker stays closed, the request fails over", async () => {
    const { workerLost } = await import("../workers/gateway/tunnel-failures.ts");
    const a = fakeProvider("a", () => Promise.reject(workerLost("gpu1")));
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [
      a,
      fakeProvider("b"),
    ]);
    for (let i = 0; i < 6; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(6);
  });
  test("an upstream's 429 is failed over but never opens the breaker: callers keep its own 429 and Retry-After", async () => {
    const { GatewayError: Err } = await import("../core/gateway-error.ts");
    const limited = () =>
      Promise.reject(
        new Err({
          status: 429,
          code: "rate_limited",
          message: "slow down",
          retryable: true,
          headers: { "retry-after": "7" },
        }),
      );
    const a = fakeProvider("a", limited);
    const b = fakeProvider("b");
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [a, b]);
    for (let i = 0; i < 5; i++) expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(5);
    // A single route: the upstream's 429 itself, every time.
    const alone = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [
      fakeProvider("a", limited),
      fakeProvider("b", limited),
    ]);
    for (let i = 0; i < 4; i++) {
      const error = (await alone.router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
      expect(error.status).toBe(429);
      expect(error.headers["retry-after"]).toBe("7");
    }
  });

  test("a 404 no API answered (a chat-only vLLM asked for embeddings) is failed over at once but never opens the breaker: its chat callers are served", async () => {
    const noSuchPath = { status: 404, headers: new Headers(), text: JSON.stringify({ detail: "Not Found" }) };
    const a = fakeProvider("a", (call) =>
      call.operation === "embeddings"
        ? Promise.reject(upstreamFailure("a", noSuchPath, "openai"))
        : Promise.resolve(answerTo(call)),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 2, circuit_breaker: BREAKER }), [
      a,
      fakeProvider("b"),
    ]);
    const embeddings = chatRequest("m", { operation: "embeddings", body: { model: "m", input: "x" } });
    for (let i = 0; i < 4; i++) expect((await router(embeddings)).route).toBe("provider:b");
    // Each asked once (not again on its retries), and its breaker (open at 2) never counted them.
    expect(a.calls).toHaveLength(4);
    expect(health.isOpen("a/ma")).toBe(false);
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
  });

  test("Azure's 400 OperationNotSupported for an operation the caller chose (completions of a chat deployment) is failed over at once but never opens the breaker: its chat callers are served", async () => {
    const notCompletions = {
      status: 400,
      headers: new Headers(),
      text: JSON.stringify({
        error: {
          code: "OperationNotSupported",
          message:
            "The completion operation does not work with the specified model, gpt-4o. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
        },
      }),
    };
    // Alone, the caller's 502 says what the route lacks: not its model, which Azure found.
    expect(upstreamFailure("a", notCompletions, "openai").message).toBe(
      "upstream a answered 400: the route's model does not serve this operation",
    );
    const a = fakeProvider("a", (call) =>
      call.operation === "completions"
        ? Promise.reject(upstreamFailure("a", notCompletions, "openai"))
        : Promise.resolve(answerTo(call)),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 2, circuit_breaker: BREAKER }), [
      a,
      fakeProvider("b"),
    ]);
    const completions = chatRequest("m", { operation: "completions", body: { model: "m", prompt: "x" } });
    for (let i = 0; i < 4; i++) expect((await router(completions)).route).toBe("provider:b");
    // Each asked once (not again on its retries), and its breaker (open at 2) never counted them.
    expect(a.calls).toHaveLength(4);
    expect(health.isOpen("a/ma")).toBe(false);
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
  });

  test("caller faults do not count towards opening the breaker", async () => {
    const { GatewayError: Err } = await import("../core/gateway-error.ts");
    const a = fakeProvider("a", () =>
      Promise.reject(new Err({ status: 400, code: "invalid_request", message: "bad" })),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [
      a,
      fakeProvider("b"),
    ]);
    for (let i = 0; i < 4; i++) await router(chatRequest("m")).catch(() => {});
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(4);
  });

  test("no worker connected yet (or all at capacity) is no fault of the route: the breaker stays closed", async () => {
    const { GatewayError: Err } = await import("../core/gateway-error.ts");
    let n = 0;
    const a = fakeProvider("a", () =>
      Promise.reject(
        new Err({
          status: 503,
          code: n++ % 2 === 0 ? "no_route_available" : "unavailable",
          message: "no connected worker serves ma",
          retryable: true,
        }),
      ),
    );
    const { router, health } = routerFor(twoRoutes({ retries: 0, circuit_breaker: BREAKER }), [
      a,
      fakeProvider("b"),
    ]);
    for (let i = 0; i < 6; i++) await router(chatRequest("m"));
    expect(health.isOpen("a/ma")).toBe(false);
    expect(a.calls).toHaveLength(6);
  });
});
