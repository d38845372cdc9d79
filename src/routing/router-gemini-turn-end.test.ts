import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { gemini } from "./gemini-router-kit.ts";
import { chatRequest, fakeProvider, modelOver, routerFor, twoRoutes } from "./router-test-kit.ts";

// A Gemini turn that ended in failure with HTTP 200 (MALFORMED_FUNCTION_CALL, chance;
// MISSING_THOUGHT_SIGNATURE, the request's history), judged by the router. The real Gemini provider
// as route `a` (gemini-router-kit.ts); route `b` a healthy one.

describe("a Gemini turn that ended in failure (MALFORMED_FUNCTION_CALL) is no empty answer", () => {
  const malformed = () =>
    Response.json({ candidates: [{ content: { role: "model" }, finishReason: "MALFORMED_FUNCTION_CALL" }] });
  const malformedStream = () =>
    new Response(
      `data: ${JSON.stringify({ candidates: [{ content: { role: "model" }, finishReason: "MALFORMED_FUNCTION_CALL" }] })}\r\n\r\n`,
      { headers: { "content-type": "text/event-stream" } },
    );

  test.each([
    ["an answer", malformed, false],
    ["a stream, in its first event,", malformedStream, true],
  ] as const)("%s fails over before anything reached the caller", async (_kind, answer, stream) => {
    const a = gemini("a", answer);
    const b = fakeProvider("b");
    const { router, logs } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const dispatched = await router(chatRequest("m", { stream }));
    expect(dispatched.route).toBe("provider:b");
    expect(logs[0]?.fields.reason).toBe(
      "the model produced a malformed function call (Gemini finishReason MALFORMED_FUNCTION_CALL)",
    );
  });

  test("is tried again on the same route under routing.retries, then the next, and leaves the route's breaker closed", async () => {
    const a = gemini("a", malformed);
    const b = gemini("b", malformed);
    const config = twoRoutes({ retries: 2, circuit_breaker: { failures: 5, cooldown: "1m" } });
    const { router, health } = routerFor(config, [a, b]);
    for (let i = 0; i < 2; i++) {
      const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.code]).toEqual([502, "upstream_error"]);
    }
    // Three calls a request on each route (the first and its 2 retries), and neither route taken out.
    expect([a.calls.length, b.calls.length]).toEqual([6, 6]);
    expect([health.isOpen("a/ma"), health.isOpen("b/mb")]).toEqual([false, false]);
  });

  test("a model with a single Gemini route: the retry that finishes well answers", async () => {
    let failed = false;
    // The first turn fails, the next one answers: the stochastic finish a retry mends.
    const onceMalformed = () => {
      if (failed)
        return Response.json({
          candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
        });
      failed = true;
      return malformed();
    };
    const a = gemini("a", onceMalformed);
    const config = {
      providers: [{ name: "a", type: "openai" }],
      models: [{ name: "m", routes: [{ provider: "a", model: "ma" }] }],
      routing: { backoff: 0, retries: 1 },
    };
    const { router } = routerFor(config, [a]);
    expect((await router(chatRequest("m"))).route).toBe("provider:a");
    expect(a.calls).toHaveLength(2);
  });

  test("the failure carries what Google billed for the turn", async () => {
    const billed = () =>
      Response.json({
        candidates: [{ content: { role: "model" }, finishReason: "MALFORMED_FUNCTION_CALL" }],
        usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 3, thoughtsTokenCount: 7 },
      });
    const a = gemini("a", billed);
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, gemini("b", billed)]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error.usage).toMatchObject({ inputTokens: 40, outputTokens: 10, reasoningTokens: 7 });
  });
});

describe("a Gemini turn that ended for want of a thought signature (MISSING_THOUGHT_SIGNATURE): the request's history, not chance", () => {
  const missingSignature = () =>
    Response.json({
      candidates: [{ content: { role: "model" }, finishReason: "MISSING_THOUGHT_SIGNATURE" }],
    });

  test("is not sent to the same route again, whatever routing.retries says, nor to the model's other Gemini routes; no breaker hears of it, and the caller is told not to retry", async () => {
    const a = gemini("a", missingSignature);
    const b = gemini("b", missingSignature);
    const config = twoRoutes({ retries: 2, circuit_breaker: { failures: 1, cooldown: "1m" } });
    const { router, health } = routerFor(config, [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_error",
      "the request lacks a thought signature the model needs (Gemini finishReason MISSING_THOUGHT_SIGNATURE)",
    ]);
    // One call, where a malformed function call is asked three times on each route: b (another
    // key, region or project of the Gemini API) would fail the same history alike.
    expect([a.calls.length, b.calls.length]).toEqual([1, 0]);
    expect([health.isOpen("a/ma"), health.isOpen("b/mb")]).toEqual([false, false]);
    // Sent again as it is, the request fails alike: the SDKs do not retry it.
    expect(error.headers["x-should-retry"]).toBe("false");
  });

  test("a route of another API answers, the Gemini routes before it passed over", async () => {
    const a = gemini("a", missingSignature);
    const b = gemini("b", missingSignature);
    const c = fakeProvider("c");
    const config = modelOver(
      [
        { provider: "a", type: "openai", model: "ma" },
        { provider: "b", type: "openai", model: "mb" },
        { provider: "c", type: "openai", model: "mc" },
      ],
      { retries: 2 },
    );
    const { router } = routerFor(config, [a, b, c]);
    expect((await router(chatRequest("m"))).route).toBe("provider:c");
    expect([a.calls.length, b.calls.length, c.calls.length]).toEqual([1, 0, 1]);
  });

  test("a malformed function call is still asked of the model's next Gemini route: chance, not the request", async () => {
    const a = gemini("a", () =>
      Response.json({
        candidates: [{ content: { role: "model" }, finishReason: "MALFORMED_FUNCTION_CALL" }],
      }),
    );
    const b = gemini("b", () =>
      Response.json({
        candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
      }),
    );
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    expect((await router(chatRequest("m"))).route).toBe("provider:b");
    expect([a.calls.length, b.calls.length]).toEqual([1, 1]);
  });
});
