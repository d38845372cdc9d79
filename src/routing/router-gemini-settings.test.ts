import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { gemini, googleError } from "./gemini-router-kit.ts";
import { chatRequest, routerFor } from "./router-test-kit.ts";

// What a Gemini model refuses of a request's settings (a thinking budget, level or config, a
// max_tokens past its most), judged by the router: sent again without it where the caller did not
// ask for it. The real Gemini provider as route `a` (gemini-router-kit.ts); route `b` a healthy one.

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

describe("thoughts asked of a Gemini model whose thinking is off, which the name rule misses", () => {
  const ANSWER = {
    candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
  };
  /** A later model thinking only when a budget turns it on, refusing thoughts alone as Vertex AI does 2.5 Flash-Lite's. */
  const thinksOnlyAsked = (sent: JsonObject) =>
    (sent.generationConfig as { thinkingConfig?: JsonObject } | undefined)?.thinkingConfig?.includeThoughts
      ? googleError(
          400,
          "INVALID_ARGUMENT",
          "Unable to submit request because Thinking_config.include_thoughts is only enabled when thinking is enabled.. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini",
        )
      : Response.json(ANSWER);
  const config = {
    providers: [{ name: "g", type: "gemini" }],
    models: [{ name: "m", routes: [{ provider: "g", model: "gemini-2.7-flash-nano" }] }],
    routing: { retries: 0 },
  };

  test("a Messages caller's adaptive thinking (Claude Code's): sent again without them, named thinking", async () => {
    const g = gemini("g", thinksOnlyAsked);
    const { router } = routerFor(config, [g]);
    const dispatched = await router(
      chatRequest("m", {
        operation: "messages",
        body: {
          model: "m",
          max_tokens: 100,
          thinking: { type: "adaptive" },
          messages: [{ role: "user", content: "hi" }],
        },
      }),
    );
    expect(g.calls.map((call) => call.body.include_reasoning)).toEqual([true, undefined]);
    expect(dispatched.dropped).toEqual(["thinking"]);
  });

  test("a chat caller's include_reasoning: sent again without it, named", async () => {
    const g = gemini("g", thinksOnlyAsked);
    const { router } = routerFor(config, [g]);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], include_reasoning: true };
    const dispatched = await router(chatRequest("m", { body }));
    expect(g.calls.map((call) => call.body.include_reasoning)).toEqual([true, undefined]);
    expect(dispatched.dropped).toEqual(["include_reasoning"]);
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
