import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import { bedrockFailure } from "../providers/bedrock/bedrock-errors.ts";
import { chatRequest, type FakeProvider, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import {
  COMPLETION,
  MESSAGE,
  oneRoute,
  refusal,
  refusedBy,
  responsesCall,
} from "./router-unsupported-fixture.ts";

// A field a translation added where the caller's API leaves it out, refused by the route's model:
// sent again without it (an effort level) or with what the model takes (the max_tokens Messages needs).

describe("an effort level the translation added, refused by a model without efforts", () => {
  // What the vendors answer, as they send it.
  const HAIKU_REFUSAL = {
    type: "error",
    error: { type: "invalid_request_error", message: "This model does not support the effort parameter." },
  };
  const GPT41_REFUSAL = {
    error: {
      message: "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
      type: "invalid_request_error",
      param: "reasoning_effort",
      code: "unsupported_parameter",
    },
  };
  /** Refuses every call that sets `has(body)`, as the vendor does; answers the others. */
  const refusingWhen = (
    dialect: "openai" | "anthropic",
    has: (body: JsonObject) => boolean,
    body: object,
    answer: JsonObject,
  ) => ({
    ...fakeProvider("p", (call) =>
      has(call.body) ? Promise.reject(refusal("p", body)) : Promise.resolve(jsonReply(answer)),
    ),
    dialect,
  });
  const effortOf = (body: JsonObject) => (body.output_config as JsonObject | undefined)?.effort;
  /** Claude Haiku 4.5, which refuses an effort level. */
  const haiku = () =>
    refusingWhen("anthropic", (body) => effortOf(body) !== undefined, HAIKU_REFUSAL, MESSAGE);
  /** GPT-4.1, which refuses reasoning_effort. */
  const gpt41 = () =>
    refusingWhen("openai", (body) => body.reasoning_effort !== undefined, GPT41_REFUSAL, COMPLETION);
  const responses = () =>
    chatRequest("m", responsesCall({ model: "m", input: "hi", reasoning: { effort: "high" } }));

  test("Responses (Codex) → Anthropic: sent again without output_config.effort, named reasoning.effort", async () => {
    const claude = haiku();
    const { router, logs } = routerFor(oneRoute("anthropic"), [claude]);
    const dispatched = await router(responses());
    expect(claude.calls.map((call) => effortOf(call.body))).toEqual(["high", undefined]);
    expect(claude.calls[1]?.body.output_config).toBeUndefined();
    expect(dispatched.dropped).toContain("reasoning.effort");
    expect(dispatched.attempts).toBe(2);
    expect(logs).toEqual([
      expect.objectContaining({
        message: "route's model refused a field the caller's API takes: sent again without it",
        fields: expect.objectContaining({ field: "output_config.effort", client_field: "reasoning.effort" }),
      }),
    ]);
  });

  test("chat → Anthropic: the same, named reasoning_effort; a response_format's output_config stays", async () => {
    const claude = haiku();
    const { router } = routerFor(oneRoute("anthropic"), [claude]);
    const format = { type: "json_schema", json_schema: { name: "o", schema: { type: "object" } } };
    const dispatched = await router(
      chatRequest("m", {
        body: {
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          reasoning_effort: "low",
          response_format: format,
        },
      }),
    );
    // An object that names no properties goes as sent (anthropic-enforced-schema.ts).
    expect(claude.calls[1]?.body.output_config).toEqual({
      format: { type: "json_schema", schema: { type: "object" } },
    });
    expect(dispatched.dropped).toEqual(["reasoning_effort"]);
  });

  test.each([
    ["Messages (Claude Code)", { output_config: { effort: "high" } }],
    [
      "Messages with thinking and output_config.effort (the effort wrote reasoning_effort)",
      { thinking: { type: "enabled", budget_tokens: 2048 }, output_config: { effort: "high" } },
    ],
  ])("%s → chat: sent again without reasoning_effort, named output_config.effort", async (_, extra) => {
    const gpt = gpt41();
    const { router } = routerFor(oneRoute("openai"), [gpt]);
    const body = { model: "m", max_tokens: 100, messages: [{ role: "user", content: "hi" }], ...extra };
    const dispatched = await router(chatRequest("m", { operation: "messages", body }));
    expect(gpt.calls.map((call) => call.body.reasoning_effort)).toEqual(["high", undefined]);
    expect(dispatched.dropped).toEqual(["output_config.effort"]);
  });

  test("never a field the caller sent so: a chat caller's own reasoning_effort refused is its 400", async () => {
    const gpt = gpt41();
    const { router } = routerFor(oneRoute("openai"), [gpt]);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], reasoning_effort: "low" };
    const refused = await refusedBy(router, chatRequest("m", { body }));
    expect([refused.status, refused.param]).toEqual([400, "reasoning_effort"]);
    expect(gpt.calls).toHaveLength(1);
  });

  test("once a route, only for that refusal, and not under translation.unsupported: reject", async () => {
    // Refused again without it: the second refusal is the caller's answer, no third try.
    const stubborn = refusingWhen("anthropic", () => true, HAIKU_REFUSAL, MESSAGE);
    const again = await refusedBy(routerFor(oneRoute("anthropic"), [stubborn]).router, responses());
    expect(again.status).toBe(400);
    expect(stubborn.calls).toHaveLength(2);
    // Another 400 (about the prompt) is not retried.
    const other = { type: "error", error: { type: "invalid_request_error", message: "messages.0: bad" } };
    const strict = refusingWhen("anthropic", () => true, other, MESSAGE);
    await routerFor(oneRoute("anthropic"), [strict])
      .router(responses())
      .catch(() => {});
    expect(strict.calls).toHaveLength(1);
    // The caller who asked to hear of what cannot be carried hears of this too.
    const claude = haiku();
    const rejecting = oneRoute("anthropic", "up", { translation: { unsupported: "reject" } });
    const error = await refusedBy(routerFor(rejecting, [claude]).router, responses());
    expect([error.status, error.message]).toEqual([400, "This model does not support the effort parameter."]);
    expect(claude.calls).toHaveLength(1);
  });
});

describe("the max_tokens a translation to Messages wrote, with the prompt past what the window leaves it", () => {
  // Sonnet 4.5 gets its whole output limit, 64,000, when the caller sets no bound; a 150,000-token
  // conversation and that bound pass its 200,000-token window together.
  const WINDOW = 200_000;
  const PROMPT = 150_000;
  const exceeded = (answer: number) => ({
    type: "error",
    error: {
      type: "invalid_request_error",
      message: `input length and \`max_tokens\` exceed context limit: ${PROMPT} + ${answer} > ${WINDOW}, decrease input length or \`max_tokens\` and try again`,
    },
  });
  /** Refuses a call whose max_tokens the window cannot hold past the prompt, as Anthropic does. */
  const sonnet = () => ({
    ...fakeProvider("p", (call) => {
      const answer = call.body.max_tokens as number;
      if (PROMPT + answer <= WINDOW) return Promise.resolve(jsonReply(MESSAGE));
      return Promise.reject(refusal("p", exceeded(answer)));
    }),
    dialect: "anthropic" as const,
  });
  const routed = (policy: object = {}) => oneRoute("anthropic", "claude-sonnet-4-5", policy);
  const chat = (extra: object = {}) =>
    chatRequest("m", { body: { model: "m", messages: [{ role: "user", content: "hi" }], ...extra } });
  const boundsSent = (provider: FakeProvider) => provider.calls.map((call) => call.body.max_tokens);

  test("Responses (Codex) without max_output_tokens: sent again with max_tokens the window leaves, nothing dropped", async () => {
    const provider = sonnet();
    const { router, logs } = routerFor(routed(), [provider]);
    const dispatched = await router(chatRequest("m", responsesCall({ model: "m", input: "hi" })));
    expect(boundsSent(provider)).toEqual([64_000, WINDOW - PROMPT]);
    expect(dispatched.attempts).toBe(2);
    expect(dispatched.dropped).toEqual([]);
    expect(logs).toEqual([
      expect.objectContaining({
        message:
          "route's model refused a field the caller's API takes: sent again with the max_tokens the window leaves",
        fields: expect.objectContaining({
          field: "max_tokens",
          client_field: "max_output_tokens",
          max_tokens: WINDOW - PROMPT,
        }),
      }),
    ]);
  });

  test("Claude on Bedrock: Anthropic's refusal wrapped in a ValidationException lowers the bound alike", async () => {
    const onBedrock = {
      ...fakeProvider("p", (call) => {
        const answer = call.body.max_tokens as number;
        if (PROMPT + answer <= WINDOW) return Promise.resolve(jsonReply(MESSAGE));
        const words = exceeded(answer).error.message;
        return Promise.reject(bedrockFailure("p", 400, "ValidationException", words));
      }),
      dialect: "anthropic" as const,
    };
    await routerFor(routed(), [onBedrock]).router(chat());
    expect(boundsSent(onBedrock)).toEqual([64_000, WINDOW - PROMPT]);
  });

  test("chat without a bound: the same, under translation.unsupported: reject too (nothing is left out)", async () => {
    const provider = sonnet();
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [provider]);
    await router(chat());
    expect(boundsSent(provider)).toEqual([64_000, WINDOW - PROMPT]);
  });

  test("never a bound the caller set: its own max_tokens refused is its context_length_exceeded", async () => {
    const provider = sonnet();
    const { router } = routerFor(routed(), [provider]);
    const error = await refusedBy(router, chat({ max_tokens: 60_000 }));
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(boundsSent(provider)).toEqual([60_000]);
  });

  test("a prompt that alone fills the window is refused as it was", async () => {
    const tooLong = {
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" },
    };
    const provider = {
      ...fakeProvider("p", () => Promise.reject(refusal("p", tooLong))),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor(routed(), [provider]);
    const error = await refusedBy(router, chat());
    expect(error.code).toBe("context_length_exceeded");
    expect(provider.calls).toHaveLength(1);
  });
});

describe("a Messages caller's max_tokens past the most the chat route's model writes", () => {
  // Claude Code sends the bound of the Claude model it thinks it talks to (32,000 to 128,000);
  // gpt-4o writes at most 16,384 and refuses more, in OpenAI's words, on every request.
  const MOST = 16_384;
  const tooLarge = (asked: number) => ({
    error: {
      message: `max_tokens is too large: ${asked}. This model supports at most ${MOST} completion tokens, whereas you provided ${asked}.`,
      type: "invalid_request_error",
      param: "max_tokens",
      code: "invalid_value",
    },
  });
  const gpt4o = () =>
    fakeProvider("p", (call) => {
      const asked = (call.body.max_completion_tokens ?? call.body.max_tokens) as number;
      return asked > MOST
        ? Promise.reject(refusal("p", tooLarge(asked)))
        : Promise.resolve(jsonReply(COMPLETION));
    });
  const boundsSent = (provider: FakeProvider) =>
    provider.calls.map((call) => call.body.max_completion_tokens);
  const messages = (max_tokens: number) =>
    chatRequest("m", {
      operation: "messages",
      body: { model: "m", max_tokens, messages: [{ role: "user", content: "hi" }] },
    });

  test("sent again with the most the model writes, nothing dropped, under translation.unsupported: reject too", async () => {
    for (const policy of [{}, { translation: { unsupported: "reject" } }]) {
      const gpt = gpt4o();
      const { router, logs } = routerFor(oneRoute("openai", "gpt-4o", policy), [gpt]);
      const dispatched = await router(messages(32_000));
      expect(boundsSent(gpt)).toEqual([32_000, MOST]);
      expect([dispatched.attempts, dispatched.dropped]).toEqual([2, []]);
      expect(logs[0]).toMatchObject({
        message:
          "route's model refused a field the caller's API takes: sent again with the most the model writes",
        fields: { field: "max_completion_tokens", client_field: "max_tokens", max_tokens: MOST },
      });
    }
  });

  test("a bound the model takes goes once; a chat caller's own bound refused is its 400", async () => {
    const gpt = gpt4o();
    await routerFor(oneRoute("openai", "gpt-4o"), [gpt]).router(messages(8_000));
    expect(boundsSent(gpt)).toEqual([8_000]);
    const own = gpt4o();
    const { router } = routerFor(oneRoute("openai", "gpt-4o"), [own]);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], max_completion_tokens: 32_000 };
    const refused = await refusedBy(router, chatRequest("m", { body }));
    expect(refused.status).toBe(400);
    expect(own.calls).toHaveLength(1);
  });
});

describe("a Messages caller's temperature, which OpenAI's reasoning models take only at its default", () => {
  // Claude Code on /model gpt-5 (claude-code-router #849), in OpenAI's words.
  const refused = (value: number) => ({
    error: {
      message: `Unsupported value: 'temperature' does not support ${value} with this model. Only the default (1) value is supported.`,
      type: "invalid_request_error",
      param: "temperature",
      code: "unsupported_value",
    },
  });
  const gpt5 = () =>
    fakeProvider("p", (call) => {
      const { temperature } = call.body;
      return typeof temperature === "number" && temperature !== 1
        ? Promise.reject(refusal("p", refused(temperature)))
        : Promise.resolve(jsonReply(COMPLETION));
    });
  const messages = chatRequest("m", {
    operation: "messages",
    body: { model: "m", max_tokens: 100, temperature: 0, messages: [{ role: "user", content: "hi" }] },
  });

  test("sent again without it, named temperature; under translation.unsupported: reject, the refusal is the caller's", async () => {
    const gpt = gpt5();
    const dispatched = await routerFor(oneRoute("openai", "gpt-5"), [gpt]).router(messages);
    expect(gpt.calls.map((call) => call.body.temperature)).toEqual([0, undefined]);
    expect(dispatched.dropped).toEqual(["temperature"]);
    const strict = gpt5();
    const rejecting = oneRoute("openai", "gpt-5", { translation: { unsupported: "reject" } });
    const error = await refusedBy(routerFor(rejecting, [strict]).router, messages);
    expect([error.status, error.param]).toEqual([400, "temperature"]);
    expect(strict.calls).toHaveLength(1);
  });

  test("a chat caller's own temperature refused is its 400", async () => {
    const gpt = gpt5();
    const body = { model: "m", temperature: 0, messages: [{ role: "user", content: "hi" }] };
    const error = await refusedBy(
      routerFor(oneRoute("openai", "gpt-5"), [gpt]).router,
      chatRequest("m", { body }),
    );
    expect(error.status).toBe(400);
    expect(gpt.calls).toHaveLength(1);
  });
});
