import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { gemini, googleError } from "./gemini-router-kit.ts";
import { chatRequest, fakeProvider, routerFor, twoRoutes } from "./router-test-kit.ts";

// What Gemini answers with an error or a refusal, judged by the router: the real Gemini provider as
// route `a` (gemini-router-kit.ts), its `fetch` answering in Google's own wire format; route `b` a
// healthy second route. What Gemini refuses of a request's settings: router-gemini-settings.test.ts;
// a turn that ended in failure: router-gemini-turn-end.test.ts.

describe("Gemini's FAILED_PRECONDITION (location, billing): the gateway's deployment, not the request", () => {
  const unsupportedLocation = () =>
    googleError(400, "FAILED_PRECONDITION", "User location is not supported for the API use.");

  test("fails over to the model's next route", async () => {
    const a = gemini("a", unsupportedLocation);
    const b = fakeProvider("b");
    const { router, logs } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:b");
    expect([a.calls.length, b.calls.length]).toEqual([1, 1]);
    expect(logs[0]?.fields.reason).toBe(
      "upstream a refused the gateway's deployment: User location is not supported for the API use.",
    );
  });

  test("is not sent to the same route again, whatever routing.retries says: it would be refused again", async () => {
    const a = gemini("a", unsupportedLocation);
    const b = gemini("b", unsupportedLocation);
    const { router } = routerFor(twoRoutes({ retries: 2 }), [a, b]);
    const error = await router(chatRequest("m")).catch((e: unknown) => e);
    expect((error as GatewayError).status).toBe(502);
    expect([a.calls.length, b.calls.length]).toEqual([1, 1]);
  });

  test("with no route left, the caller gets the gateway's 502 naming the provider, not a 400 of its own", async () => {
    const a = gemini("a", unsupportedLocation);
    const b = gemini("b", unsupportedLocation);
    const { router } = routerFor(twoRoutes({ retries: 0 }), [a, b]);
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect([error.status, error.code]).toEqual([502, "upstream_error"]);
    expect(error.message).toBe(
      "upstream b refused the gateway's deployment: User location is not supported for the API use.",
    );
  });
});

describe("Google's RESOURCE_EXHAUSTED naming a day's quota: spent for the day, so its route's breaker counts it; a minute's quota is a throttle it never counts", () => {
  const exhausted = (quotaId: string) => ({
    error: {
      code: 429,
      message: "You exceeded your current quota, please check your plan and billing details.",
      status: "RESOURCE_EXHAUSTED",
      details: [
        { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId }] },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "47s" },
      ],
    },
  });
  // As a reply, and as a stream's first event (the error object said inside the answer).
  const answers = {
    "a reply": (quotaId: string) => () => Response.json(exhausted(quotaId), { status: 429 }),
    "a stream's error event": (quotaId: string) => () =>
      new Response(`data: ${JSON.stringify(exhausted(quotaId))}\r\n\r\n`, {
        headers: { "content-type": "text/event-stream" },
      }),
  };

  test.each([
    ["a reply", true],
    ["a stream's error event", true],
    ["a reply", false],
    ["a stream's error event", false],
  ] as const)("%s (a day's: %p)", async (kind, daily) => {
    const quotaId = daily
      ? "GenerateRequestsPerDayPerProjectPerModel-FreeTier"
      : "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
    const a = gemini("a", answers[kind](quotaId));
    const b = fakeProvider("b");
    const config = twoRoutes({ retries: 0, circuit_breaker: { failures: 2, cooldown: "1m" } });
    const { router, health } = routerFor(config, [a, b]);
    for (let i = 0; i < 3; i++)
      expect((await router(chatRequest("m", { stream: kind !== "a reply" }))).route).toBe("provider:b");
    // A day's: two refusals opened a's breaker, the third request went to b alone. A minute's: a
    // was asked each time, its breaker closed.
    expect([a.calls.length, health.isOpen("a/ma")]).toEqual(daily ? [2, true] : [3, false]);
  });
});

describe("a FAILED_PRECONDITION about the request (a fileData file not ACTIVE) is the caller's 400", () => {
  test("not sent again, no other route tried, the breaker does not hear of it", async () => {
    const notActive = () =>
      googleError(
        400,
        "FAILED_PRECONDITION",
        "The File 8kq3v1x2yz is not in an ACTIVE state and usage is not allowed.",
      );
    const a = gemini("a", notActive);
    const b = fakeProvider("b");
    const { router, health } = routerFor(
      twoRoutes({ retries: 2, circuit_breaker: { failures: 1, cooldown: "1m" } }),
      [a, b],
    );
    const error = (await router(chatRequest("m")).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code, error.message]).toEqual([
      400,
      "invalid_request",
      "The File 8kq3v1x2yz is not in an ACTIVE state and usage is not allowed.",
    ]);
    expect([a.calls.length, b.calls.length]).toEqual([1, 0]);
    expect(health.isOpen("a/ma")).toBe(false);
  });
});

describe("a prompt Gemini blocked (promptFeedback.blockReason): a content filter's refusal", () => {
  const blocked = () =>
    Response.json({
      promptFeedback: { blockReason: "PROHIBITED_CONTENT" },
      usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 },
    });
  const config = (fallbackOn: string[]) => ({
    ...twoRoutes({ retries: 1 }),
    models: [{ ...twoRoutes().models[0], fallback_on: fallbackOn }],
  });

  /** The same, as the first (and only) event of `streamGenerateContent?alt=sse`. */
  const blockedStream = () =>
    new Response(
      `data: ${JSON.stringify({
        promptFeedback: { blockReason: "PROHIBITED_CONTENT" },
        usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 },
      })}\r\n\r\n`,
      { headers: { "content-type": "text/event-stream" } },
    );

  test.each([
    ["an answer", blocked, false],
    ["a stream, in its first event,", blockedStream, true],
  ] as const)(
    "%s fails over with fallback_on: [content_policy], as Azure's prompt filter 400 does",
    async (_kind, answer, stream) => {
      const a = gemini("a", answer);
      const b = fakeProvider("b");
      const { router, logs } = routerFor(config(["content_policy"]), [a, b]);
      const dispatched = await router(chatRequest("m", { stream }));
      expect(dispatched.route).toBe("provider:b");
      expect([a.calls.length, b.calls.length]).toEqual([1, 1]);
      expect(logs[0]?.fields.reason).toBe(
        "upstream a's content filter blocked the prompt (Gemini blockReason PROHIBITED_CONTENT)",
      );
    },
  );

  test("the refusal carries what Google billed for the prompt, streamed or not", async () => {
    for (const [answer, stream] of [
      [blocked, false],
      [blockedStream, true],
    ] as const) {
      const a = gemini("a", answer);
      const b = gemini("b", answer);
      const { router } = routerFor(config(["content_policy"]), [a, b]);
      const error = (await router(chatRequest("m", { stream })).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.usage]).toEqual([400, expect.objectContaining({ inputTokens: 10 })]);
    }
  });

  test("a stream without it answers as before: the content_filter stream of route a, no other route tried", async () => {
    const a = gemini("a", blockedStream);
    const b = fakeProvider("b");
    const { router } = routerFor(config(["context_length"]), [a, b]);
    const dispatched = await router(chatRequest("m", { stream: true }));
    expect(dispatched.route).toBe("provider:a");
    expect(b.calls).toHaveLength(0);
  });

  test("without it, the answer as before: an empty content_filter choice, no other route tried", async () => {
    const a = gemini("a", blocked);
    const b = fakeProvider("b");
    const { router } = routerFor(config(["context_length"]), [a, b]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:a");
    expect(b.calls).toHaveLength(0);
    const reply = dispatched.reply as { kind: "json"; body: { choices: object[] } };
    expect(reply.body.choices).toEqual([
      expect.objectContaining({
        finish_reason: "content_filter",
        message: expect.objectContaining({ content: "" }),
      }),
    ]);
  });
});
