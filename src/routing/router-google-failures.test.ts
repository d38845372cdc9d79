import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { createGoogleProvider, geminiApiEndpoint } from "../providers/google/gemini-provider.ts";
import type { ProviderCall } from "../providers/provider.ts";
import {
  chatRequest,
  type FakeProvider,
  fakeProvider,
  modelOver,
  routerFor,
  twoRoutes,
} from "./router-test-kit.ts";

// What Gemini answers, judged by the router: the real Gemini provider as route `a`, its `fetch`
// answering in Google's own wire format; route `b` a healthy second route.

/** The Gemini provider as the route of provider `name`, every call answered by `answer` from its body. */
function gemini(name: string, answer: (sent: JsonObject) => Response): FakeProvider {
  const send = async (_url: unknown, init?: RequestInit) => answer(JSON.parse(String(init?.body)));
  const provider = createGoogleProvider({
    name,
    vendor: "gcp.gemini",
    endpoint: geminiApiEndpoint("http://gemini.test/v1beta", "key"),
    fetch: Object.assign(send, { preconnect: () => {} }) as typeof fetch,
  });
  const calls: ProviderCall[] = [];
  return {
    ...provider,
    calls,
    call(call) {
      calls.push(call);
      return provider.call(call);
    },
  };
}

const googleError = (code: number, status: string, message: string) =>
  Response.json({ error: { code, message, status } }, { status: code });

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

describe("a thinking budget of 0 refused by a Gemini model that only works in thinking mode", () => {
  const ANSWER = {
    candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
  };
  /** A model the Pro rule does not know, refusing budget 0 as 2.5 Pro and 3 Pro do. */
  const thinksAlways = (sent: JsonObject) =>
    (sent.generationConfig as { thinkingConfig?: { thinkingBudget?: number } } | undefined)?.thinkingConfig
      ?.thinkingBudget === 0
      ? googleError(400, "INVALID_ARGUMENT", "Budget 0 is invalid. This model only works in thinking mode.")
      : Response.json(ANSWER);
  const config = {
    providers: [{ name: "g", type: "gemini" }],
    models: [{ name: "m", routes: [{ provider: "g", model: "gemini-exp-thinker" }] }],
    routing: { retries: 0 },
  };

  test("Responses (Codex) reasoning.effort minimal: sent again without it, named reasoning.effort", async () => {
    const g = gemini("g", thinksAlways);
    const { router, logs } = routerFor(config, [g]);
    const dispatched = await router(
      chatRequest("m", {
        operation: "responses",
        body: { model: "m", input: "hi", reasoning: { effort: "minimal" } },
        responses: { id: "resp_1", previous: [], onResponse: () => {} },
      }),
    );
    expect(g.calls.map((call) => call.body.reasoning_effort)).toEqual(["minimal", undefined]);
    expect(dispatched.dropped).toContain("reasoning.effort");
    expect(logs[0]?.fields).toMatchObject({ field: "reasoning_effort", client_field: "reasoning.effort" });
  });

  test("a chat caller's own reasoning_effort refused is its 400, in Google's words", async () => {
    const g = gemini("g", thinksAlways);
    const { router } = routerFor(config, [g]);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], reasoning_effort: "minimal" };
    const error = (await router(chatRequest("m", { body })).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.message]).toEqual([
      400,
      "Budget 0 is invalid. This model only works in thinking mode.",
    ]);
    expect(g.calls).toHaveLength(1);
  });
});

describe("a thinking level refused by a Gemini model that has not that level", () => {
  const ANSWER = {
    candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
  };
  /** A later Gemini the level rule cannot know, without `medium` (as 3 Pro), refusing it in `words`. */
  const withoutMedium = (words: string) => (sent: JsonObject) =>
    (sent.generationConfig as { thinkingConfig?: { thinkingLevel?: string } } | undefined)?.thinkingConfig
      ?.thinkingLevel === "medium"
      ? googleError(400, "INVALID_ARGUMENT", words)
      : Response.json(ANSWER);
  const config = {
    providers: [{ name: "g", type: "gemini" }],
    models: [{ name: "m", routes: [{ provider: "g", model: "gemini-4-pro-preview" }] }],
    routing: { retries: 0 },
  };

  test.each([
    [
      "the Gemini API's",
      "Thinking level MEDIUM is not supported for this model. Please retry with other thinking level.",
    ],
    [
      "Vertex AI's",
      "Unable to submit request because thinking_level MEDIUM is not supported by this model. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini",
    ],
  ])(
    "in %s words: a Messages caller's thinking sent again without it, named thinking",
    async (_api, words) => {
      const g = gemini("g", withoutMedium(words));
      const { router, logs } = routerFor(config, [g]);
      const dispatched = await router(
        chatRequest("m", {
          operation: "messages",
          body: {
            model: "m",
            max_tokens: 10000,
            thinking: { type: "enabled", budget_tokens: 8192 },
            messages: [{ role: "user", content: "hi" }],
          },
        }),
      );
      expect(g.calls.map((call) => call.body.reasoning_effort)).toEqual(["medium", undefined]);
      expect(dispatched.dropped).toContain("thinking");
      expect(logs[0]?.fields).toMatchObject({ field: "reasoning_effort", client_field: "thinking" });
    },
  );
});

describe("a thinking config refused by a Gemini model that does not think", () => {
  const ANSWER = {
    candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
  };
  /** A model whose generation its name does not say, refusing any thinkingConfig in `words`. */
  const thinksNot = (words: string) => (sent: JsonObject) =>
    (sent.generationConfig as { thinkingConfig?: unknown } | undefined)?.thinkingConfig
      ? googleError(400, "INVALID_ARGUMENT", words)
      : Response.json(ANSWER);
  const config = {
    providers: [{ name: "g", type: "gemini" }],
    models: [{ name: "m", routes: [{ provider: "g", model: "gemini-exp-nonthinker" }] }],
    routing: { retries: 0 },
  };

  test.each([
    ["the Gemini API's", "Thinking is not enabled for models/gemini-exp-nonthinker"],
    [
      "Vertex AI's",
      "Unable to submit request because thinking is not supported by this model. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini",
    ],
  ])("in %s words: a Messages caller's thinking disabled sent again without it", async (_api, words) => {
    const g = gemini("g", thinksNot(words));
    const { router, logs } = routerFor(config, [g]);
    await router(
      chatRequest("m", {
        operation: "messages",
        body: {
          model: "m",
          max_tokens: 100,
          thinking: { type: "disabled" },
          messages: [{ role: "user", content: "hi" }],
        },
      }),
    );
    expect(g.calls.map((call) => call.body.reasoning_effort)).toEqual(["none", undefined]);
    expect(logs[0]?.fields).toMatchObject({ field: "reasoning_effort", client_field: "thinking" });
  });
});

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

describe("a Messages caller's max_tokens past the most the Gemini model writes", () => {
  const ANSWER = {
    candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
  };
  /** Gemini 2.5 Pro on Vertex AI, which writes at most 65,536 tokens and refuses more in these words. */
  const vertexPro = (sent: JsonObject) => {
    const asked = (sent.generationConfig as { maxOutputTokens?: number } | undefined)?.maxOutputTokens ?? 0;
    return asked > 65_536
      ? googleError(
          400,
          "INVALID_ARGUMENT",
          `Unable to submit request because it has a maxOutputTokens value of ${asked} but the supported range is from 1 (inclusive) to 65537 (exclusive). Update the value and try again.`,
        )
      : Response.json(ANSWER);
  };
  const config = {
    providers: [{ name: "g", type: "gemini" }],
    models: [{ name: "m", routes: [{ provider: "g", model: "gemini-2.5-pro" }] }],
    routing: { retries: 0 },
  };

  test("Claude Code's 128,000: sent again with 65,536, nothing dropped", async () => {
    const g = gemini("g", vertexPro);
    const { router } = routerFor(config, [g]);
    const body = { model: "m", max_tokens: 128_000, messages: [{ role: "user", content: "hi" }] };
    const dispatched = await router(chatRequest("m", { operation: "messages", body }));
    expect(g.calls.map((call) => call.body.max_completion_tokens)).toEqual([128_000, 65_536]);
    expect(dispatched.dropped).toEqual([]);
  });
});
