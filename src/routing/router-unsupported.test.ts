import { describe, expect, test } from "bun:test";
import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { bedrockFailure } from "../providers/bedrock/bedrock-errors.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import {
  CONVERSE_TARGET,
  chatRequestToConverse,
} from "../translate/openai-to-bedrock/chat-request-to-converse.ts";
import { chatRequestToGemini, GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import type { DispatchRequest } from "./dispatch.ts";
import {
  chatRequest,
  type FakeProvider,
  fakeProvider,
  jsonReply,
  type KitRoute,
  modelOver,
  routerFor,
} from "./router-test-kit.ts";

// count_tokens exists only in the Anthropic dialect: on a model whose first route is
// OpenAI-shaped, the router passes over that route instead of failing the request.
const config = modelOver([
  { provider: "oa", type: "openai", model: "x" },
  { provider: "an", type: "anthropic", model: "y" },
]);
const countTokens = (model: string) => ({
  operation: "count_tokens" as const,
  body: { model, messages: [{ role: "user", content: "hi" }] },
  model,
  stream: false,
  requestId: "req_test",
  serial: 1,
  signal: new AbortController().signal,
  tenant: "default",
});

test("a route that cannot serve the operation is passed over for one that can", async () => {
  const openai = fakeProvider("oa");
  const anthropic = {
    ...fakeProvider("an", () => Promise.resolve(jsonReply({ input_tokens: 3 }))),
    dialect: "anthropic" as const,
  };
  const { router } = routerFor(config, [openai, anthropic]);
  const dispatched = await router(countTokens("m"));
  expect(dispatched.route).toBe("provider:an");
  expect(openai.calls).toHaveLength(0);
  expect(anthropic.calls).toHaveLength(1);
});

test("an operation no route serves is refused naming the upstream as every message names it", async () => {
  const anthropic = { ...fakeProvider("an"), dialect: "anthropic" as const };
  const { router } = routerFor(
    {
      providers: [{ name: "an", type: "anthropic" }],
      models: [{ name: "e", routes: [{ provider: "an", model: "y" }] }],
    },
    [anthropic],
  );
  const refused = await router({
    ...countTokens("e"),
    operation: "embeddings",
    body: { model: "e", input: "hi" },
  }).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(GatewayError);
  expect((refused as GatewayError).message).toBe(
    "model e is served by upstream an, which cannot serve embeddings",
  );
  expect(anthropic.calls).toHaveLength(0);
});

test("an operation no route serves is refused even while another route is out of service, which could not serve it either", async () => {
  const OVERLOADED = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
  const ANSWER = {
    id: "msg",
    type: "message",
    role: "assistant",
    content: [{ type: "text", text: "hi" }],
    stop_reason: "end_turn",
    usage: { input_tokens: 1, output_tokens: 1 },
  };
  const down = {
    ...fakeProvider("down", () =>
      Promise.reject(upstreamFailure("down", { status: 529, headers: new Headers(), text: OVERLOADED })),
    ),
    dialect: "anthropic" as const,
  };
  const up = {
    ...fakeProvider("up", () => Promise.resolve(jsonReply(ANSWER))),
    dialect: "anthropic" as const,
  };
  const routes = [
    { provider: "down", type: "anthropic", model: "x" },
    { provider: "up", type: "anthropic", model: "y" },
  ];
  const breaker = { retries: 0, circuit_breaker: { failures: 1, cooldown: "30s" } };
  const { router, health } = routerFor(modelOver(routes, breaker), [down, up]);
  // A chat call opens the first route's breaker; the second answers it.
  expect((await router(chatRequest("m"))).route).toBe("provider:up");
  expect(health.isOpen("down/x")).toBe(true);
  const completions = chatRequest("m", { operation: "completions", body: { model: "m", prompt: "hi" } });
  const refused = (await router(completions).catch((e: unknown) => e)) as GatewayError;
  expect([refused.status, refused.code, refused.headers]).toEqual([400, "unsupported_operation", {}]);
  expect(refused.message).toBe("model m is served by upstream up, which cannot serve completions");
  // An OpenAI-shaped route out of service could have: when to come back is the answer there.
  const openai = fakeProvider("oa", () =>
    Promise.reject(upstreamFailure("oa", { status: 503, headers: new Headers(), text: "{}" })),
  );
  const mixed = [{ provider: "oa", type: "openai", model: "x" }, routes[1] as KitRoute];
  const second = routerFor(modelOver(mixed, breaker), [openai, up]);
  await second.router(chatRequest("m")).catch(() => {});
  const later = (await second.router(completions).catch((e: unknown) => e)) as GatewayError;
  expect([later.status, later.code, later.headers]).toEqual([
    503,
    "no_route_available",
    { "retry-after": "30" },
  ]);
});

test("a model whose one route is out of service: an operation the route could not serve is its 400, a count the estimate, never a 503", async () => {
  const OVERLOADED = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}';
  const failing = (name: string, text: string) => () =>
    Promise.reject(upstreamFailure(name, { status: 529, headers: new Headers(), text }));
  const breaker = { retries: 0, circuit_breaker: { failures: 1, cooldown: "30s" } };
  // Claude: a completions call has no translation to it, now or after the cooldown.
  const claude = { ...fakeProvider("an", failing("an", OVERLOADED)), dialect: "anthropic" as const };
  const one = routerFor(modelOver([{ provider: "an", type: "anthropic", model: "y" }], breaker), [claude]);
  await one.router(chatRequest("m")).catch(() => {});
  expect(one.health.isOpen("an/y")).toBe(true);
  const completions = chatRequest("m", { operation: "completions", body: { model: "m", prompt: "hi" } });
  const refused = (await one.router(completions).catch((e: unknown) => e)) as GatewayError;
  expect([refused.status, refused.code, refused.headers]).toEqual([400, "unsupported_operation", {}]);
  expect(refused.message).toBe("model m is served by upstream an, which cannot serve completions");
  // OpenAI-shaped: no upstream of it counts, the gateway does (Claude Code counts before every turn).
  const openai = fakeProvider("oa", failing("oa", "{}"));
  const counting = routerFor(modelOver([{ provider: "oa", type: "openai", model: "x" }], breaker), [openai]);
  await counting.router(chatRequest("m")).catch(() => {});
  expect(counting.health.isOpen("oa/x")).toBe(true);
  const counted = await counting.router(countTokens("m"));
  expect([counted.route, counted.reply]).toEqual([null, { kind: "json", body: { input_tokens: 4 } }]);
  expect([claude.calls.length, openai.calls.length]).toEqual([1, 1]);
});

test("when no route can count, the gateway estimates with a tokenizer; no upstream is called", async () => {
  const openai = fakeProvider("oa");
  const other = fakeProvider("an");
  const { router } = routerFor(config, [openai, other]);
  const dispatched = await router(countTokens("m"));
  expect(dispatched.reply).toEqual({ kind: "json", body: { input_tokens: 4 } });
  // Served by no upstream: no route, no upstream model (metrics' provider `none`).
  expect([dispatched.route, dispatched.upstreamModel]).toEqual([null, null]);
  expect(openai.calls).toHaveLength(0);
  expect(other.calls).toHaveLength(0);
});

test("the estimate counts an earlier turn's thinking only when the first route passed over is sent it (DeepSeek's)", async () => {
  const body = {
    model: "m",
    messages: [
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "word ".repeat(1000), signature: "s" },
          { type: "text", text: "a" },
        ],
      },
      { role: "user", content: "next" },
    ],
  };
  const estimate = async (first: FakeProvider) => {
    const { router } = routerFor(config, [first, fakeProvider("an")]);
    const dispatched = await router({ ...countTokens("m"), body });
    const reply = dispatched.reply;
    return reply.kind === "json" ? (reply.body as { input_tokens: number }).input_tokens : undefined;
  };
  const plain = await estimate(fakeProvider("oa"));
  const deepseek = await estimate({ ...fakeProvider("oa"), wantsReasoningBack: true });
  expect(plain).toBeLessThan(20);
  expect((deepseek ?? 0) - (plain ?? 0)).toBeGreaterThanOrEqual(1000);
});

test("a route whose vendor counts gets the request as chat, system and tools translated, no max_tokens", async () => {
  const counting = {
    ...fakeProvider("oa", () => Promise.resolve(jsonReply({ input_tokens: 11 }))),
    countsTokens: true,
  };
  const { router } = routerFor(config, [counting, fakeProvider("an")]);
  const dispatched = await router({
    ...countTokens("m"),
    body: {
      model: "m",
      system: "be brief",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ name: "t", input_schema: { type: "object" } }],
    },
  });
  expect(dispatched.reply).toEqual({ kind: "json", body: { input_tokens: 11 } });
  const call = counting.calls[0];
  expect(call?.operation).toBe("count_tokens");
  expect(call?.body.messages).toEqual([
    { role: "system", content: "be brief" },
    { role: "user", content: "hi" },
  ]);
  expect(call?.body.tools).toEqual([
    { type: "function", function: { name: "t", parameters: { type: "object" } } },
  ]);
  expect(call?.body.max_tokens).toBeUndefined();
  expect(call?.body.max_completion_tokens).toBeUndefined();
});

test("a vendor that cannot count passes the route over, and the estimate answers when none can", async () => {
  const refusing = {
    ...fakeProvider("oa", () =>
      Promise.reject(new GatewayError({ status: 400, code: "unsupported_operation", message: "no counter" })),
    ),
    countsTokens: true,
  };
  const { router } = routerFor(config, [refusing, fakeProvider("an")]);
  const dispatched = await router(countTokens("m"));
  expect(refusing.calls).toHaveLength(1);
  expect(dispatched.reply).toEqual({ kind: "json", body: { input_tokens: 4 } });
});

test("a count whose counting route failed is refused with that failure, whichever side of it a route that cannot count is: no estimate stands in for an upstream that failed", async () => {
  for (const routes of [config.models[0]?.routes, config.models[0]?.routes.toReversed()]) {
    // A server fault, retried and failed over from as any.
    const counting = {
      ...fakeProvider("an", () => Promise.reject(upstreamError("upstream exploded"))),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor({ ...config, models: [{ name: "m", routes }] }, [
      fakeProvider("oa"),
      counting,
    ]);
    const refused = await router(countTokens("m")).catch((error: unknown) => error);
    expect([(refused as GatewayError).code, (refused as GatewayError).message]).toEqual([
      "upstream_error",
      "upstream exploded",
    ]);
    expect(counting.calls.length).toBeGreaterThan(0);
  }
});

test.each([
  ["its own 404 (FastAPI's)", JSON.stringify({ detail: "Not Found" })],
  ["a page", "<html><body>Not Found</body></html>"],
])(
  "a count an Anthropic-compatible server answers 404 (no /v1/messages/count_tokens: %s) is the estimate's, and no route failure",
  async (_, text) => {
    const anthropic = {
      ...fakeProvider("an", () =>
        Promise.reject(upstreamFailure("an", { status: 404, headers: new Headers(), text })),
      ),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor(
      {
        providers: [{ name: "an", type: "anthropic" }],
        models: [{ name: "c", routes: [{ provider: "an", model: "y" }] }],
        routing: { retries: 2, circuit_breaker: { failures: 1, cooldown: "1m" } },
      },
      [anthropic],
    );
    for (let i = 0; i < 2; i++) {
      const dispatched = await router(countTokens("c"));
      expect(dispatched.reply).toEqual({ kind: "json", body: { input_tokens: 4 } });
    }
    // Asked once a count, never again for it, and its breaker (open at one failure) never counted it.
    expect(anthropic.calls).toHaveLength(2);
  },
);

test("a count is never refused for what translation leaves out, even under translation.unsupported: reject", async () => {
  const counting = {
    ...fakeProvider("oa", () => Promise.resolve(jsonReply({ input_tokens: 5 }))),
    countsTokens: true,
  };
  const rejecting = { ...config, translation: { unsupported: "reject" } };
  const { router } = routerFor(rejecting, [counting, fakeProvider("an")]);
  const dispatched = await router({
    ...countTokens("m"),
    body: {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "web_search_20250305", name: "web_search" }],
    },
  });
  expect(dispatched.reply).toEqual({ kind: "json", body: { input_tokens: 5 } });
  expect(dispatched.dropped).toEqual(["tools.web_search_20250305"]);
  // The same tools in a messages call are refused under this config.
  const refused = await router({
    ...countTokens("m"),
    operation: "messages",
    body: {
      model: "m",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "web_search_20250305", name: "web_search" }],
    },
  }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(GatewayError);
  expect((refused as GatewayError).status).toBe(400);
});

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
  const refusal = (name: string, body: object) =>
    upstreamFailure(name, { status: 400, headers: new Headers(), text: JSON.stringify(body) });
  /** Refuses every call that sets `has(body)`, as the vendor does; answers the others. */
  const refusingWhen = (
    name: string,
    dialect: "openai" | "anthropic",
    has: (body: JsonObject) => boolean,
    body: object,
    answer: JsonObject,
  ) => ({
    ...fakeProvider(name, (call) =>
      has(call.body) ? Promise.reject(refusal(name, body)) : Promise.resolve(jsonReply(answer)),
    ),
    dialect,
  });
  const effortOf = (body: JsonObject) => (body.output_config as JsonObject | undefined)?.effort;
  const MESSAGE = { id: "msg", type: "message", role: "assistant", content: [], stop_reason: "end_turn" };
  const COMPLETION = { id: "c", choices: [{ index: 0, message: { content: "hi" }, finish_reason: "stop" }] };
  /** A Messages call (Claude Code's) with `extra` fields, to a chat route whose model refuses reasoning_effort. */
  async function messagesToGpt41(extra: JsonObject) {
    const gpt41 = refusingWhen(
      "p",
      "openai",
      (body) => body.reasoning_effort !== undefined,
      GPT41_REFUSAL,
      COMPLETION,
    );
    const { router } = routerFor(routed("openai"), [gpt41]);
    const body = { model: "m", max_tokens: 100, messages: [{ role: "user", content: "hi" }], ...extra };
    const dispatched = await router(chatRequest("m", { operation: "messages", body }));
    return { gpt41, dispatched };
  }
  const routed = (type: string, policy: object = {}) => ({
    providers: [{ name: "p", type }],
    models: [{ name: "m", routes: [{ provider: "p", model: "up" }] }],
    routing: { retries: 0 },
    ...policy,
  });
  const responses = (model: string): Partial<DispatchRequest> => ({
    operation: "responses",
    body: { model, input: "hi", reasoning: { effort: "high" } },
    responses: { id: "resp_1", previous: [], onResponse: () => {} },
  });

  test("Responses (Codex) → Anthropic: sent again without output_config.effort, named reasoning.effort", async () => {
    const haiku = refusingWhen(
      "p",
      "anthropic",
      (body) => effortOf(body) !== undefined,
      HAIKU_REFUSAL,
      MESSAGE,
    );
    const { router, logs } = routerFor(routed("anthropic"), [haiku]);
    const dispatched = await router(chatRequest("m", responses("m")));
    expect(haiku.calls.map((call) => effortOf(call.body))).toEqual(["high", undefined]);
    expect(haiku.calls[1]?.body.output_config).toBeUndefined();
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
    const haiku = refusingWhen(
      "p",
      "anthropic",
      (body) => effortOf(body) !== undefined,
      HAIKU_REFUSAL,
      MESSAGE,
    );
    const { router } = routerFor(routed("anthropic"), [haiku]);
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
    expect(haiku.calls[1]?.body.output_config).toEqual({
      format: { type: "json_schema", schema: { type: "object" } },
    });
    expect(dispatched.dropped).toEqual(["reasoning_effort"]);
  });

  test("Messages (Claude Code) → chat: sent again without reasoning_effort, named output_config.effort", async () => {
    const { gpt41, dispatched } = await messagesToGpt41({ output_config: { effort: "high" } });
    expect(gpt41.calls.map((call) => call.body.reasoning_effort)).toEqual(["high", undefined]);
    expect(dispatched.dropped).toEqual(["output_config.effort"]);
  });

  test("Messages with thinking and output_config.effort: the effort wrote reasoning_effort, and is the one named", async () => {
    const { gpt41, dispatched } = await messagesToGpt41({
      thinking: { type: "enabled", budget_tokens: 2048 },
      output_config: { effort: "high" },
    });
    expect(gpt41.calls.map((call) => call.body.reasoning_effort)).toEqual(["high", undefined]);
    expect(dispatched.dropped).toEqual(["output_config.effort"]);
  });

  test("never a field the caller sent so: a chat caller's own reasoning_effort refused is its 400", async () => {
    const gpt41 = refusingWhen(
      "p",
      "openai",
      (body) => body.reasoning_effort !== undefined,
      GPT41_REFUSAL,
      COMPLETION,
    );
    const { router } = routerFor(routed("openai"), [gpt41]);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], reasoning_effort: "low" };
    const refused = await router(chatRequest("m", { body })).catch((e: unknown) => e);
    expect([(refused as GatewayError).status, (refused as GatewayError).param]).toEqual([
      400,
      "reasoning_effort",
    ]);
    expect(gpt41.calls).toHaveLength(1);
  });

  test("once a route, only for that refusal, and not under translation.unsupported: reject", async () => {
    // Refused again without it: the second refusal is the caller's answer, no third try.
    const stubborn = refusingWhen("p", "anthropic", () => true, HAIKU_REFUSAL, MESSAGE);
    const once = routerFor(routed("anthropic"), [stubborn]).router;
    const again = (await once(chatRequest("m", responses("m"))).catch((e: unknown) => e)) as GatewayError;
    expect(again.status).toBe(400);
    expect(stubborn.calls).toHaveLength(2);
    // Another 400 (about the prompt) is not retried.
    const other = { type: "error", error: { type: "invalid_request_error", message: "messages.0: bad" } };
    const strict = refusingWhen("p", "anthropic", () => true, other, MESSAGE);
    await routerFor(routed("anthropic"), [strict])
      .router(chatRequest("m", responses("m")))
      .catch(() => {});
    expect(strict.calls).toHaveLength(1);
    // The caller who asked to hear of what cannot be carried hears of this too.
    const haiku = refusingWhen(
      "p",
      "anthropic",
      (body) => effortOf(body) !== undefined,
      HAIKU_REFUSAL,
      MESSAGE,
    );
    const rejecting = routerFor(routed("anthropic", { translation: { unsupported: "reject" } }), [
      haiku,
    ]).router;
    const error = (await rejecting(chatRequest("m", responses("m"))).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect([error.status, error.message]).toEqual([400, "This model does not support the effort parameter."]);
    expect(haiku.calls).toHaveLength(1);
  });
});

describe("top_p beside temperature, which Claude 4.5 models refuse together", () => {
  // Anthropic's words, as Sonnet 4.5 answers the pair; every OpenAI model takes it.
  const BOTH_REFUSED = {
    type: "error",
    error: {
      type: "invalid_request_error",
      message: "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
    },
  };
  const MESSAGE = { id: "msg", type: "message", role: "assistant", content: [], stop_reason: "end_turn" };
  const COMPLETION = { id: "c", choices: [{ index: 0, message: { content: "hi" }, finish_reason: "stop" }] };
  const sonnet = () => ({
    ...fakeProvider("p", (call) =>
      call.body.temperature !== undefined && call.body.top_p !== undefined
        ? Promise.reject(
            upstreamFailure("p", { status: 400, headers: new Headers(), text: JSON.stringify(BOTH_REFUSED) }),
          )
        : Promise.resolve(jsonReply(MESSAGE)),
    ),
    dialect: "anthropic" as const,
  });
  const routed = (policy: object = {}) => ({
    providers: [{ name: "p", type: "anthropic" }],
    models: [{ name: "m", routes: [{ provider: "p", model: "claude-sonnet-4-5" }] }],
    routing: { retries: 0 },
    ...policy,
  });
  const sampling = (provider: FakeProvider) =>
    provider.calls.map((call) => [call.body.temperature, call.body.top_p]);

  test("chat → Anthropic: sent again without top_p, the temperature kept, top_p named", async () => {
    const claude = sonnet();
    const { router } = routerFor(routed(), [claude]);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0.7, top_p: 0.9 };
    const dispatched = await router(chatRequest("m", { body }));
    expect(sampling(claude)).toEqual([
      [0.7, 0.9],
      [0.7, undefined],
    ]);
    expect(dispatched.dropped).toEqual(["top_p"]);
  });

  test("Responses → Anthropic: the same", async () => {
    const claude = sonnet();
    const { router } = routerFor(routed(), [claude]);
    const dispatched = await router(
      chatRequest("m", {
        operation: "responses",
        body: { model: "m", input: "hi", temperature: 0.2, top_p: 0.5 },
        responses: { id: "resp_1", previous: [], onResponse: () => {} },
      }),
    );
    expect(sampling(claude)).toEqual([
      [0.2, 0.5],
      [0.2, undefined],
    ]);
    expect(dispatched.dropped).toEqual(["top_p"]);
  });

  test("under translation.unsupported: reject, the refusal is the caller's", async () => {
    const claude = sonnet();
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [claude]);
    const body = { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0.7, top_p: 0.9 };
    const refused = (await router(chatRequest("m", { body })).catch((e: unknown) => e)) as GatewayError;
    expect(refused.status).toBe(400);
    expect(refused.message).toStartWith("`temperature` and `top_p` cannot both be specified");
    expect(claude.calls).toHaveLength(1);
  });

  test("each hint once a route: Haiku 4.5 refuses the effort, then the pair; the third call is answered, both named", async () => {
    const EFFORT_REFUSED = {
      type: "error",
      error: { type: "invalid_request_error", message: "This model does not support the effort parameter." },
    };
    const refused = (body: object) =>
      Promise.reject(
        upstreamFailure("p", { status: 400, headers: new Headers(), text: JSON.stringify(body) }),
      );
    const haiku = {
      ...fakeProvider("p", (call) => {
        if (isJsonObject(call.body.output_config) && call.body.output_config.effort !== undefined)
          return refused(EFFORT_REFUSED);
        if (call.body.temperature !== undefined && call.body.top_p !== undefined)
          return refused(BOTH_REFUSED);
        return Promise.resolve(jsonReply(MESSAGE));
      }),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor(routed(), [haiku]);
    const body = {
      model: "m",
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.7,
      top_p: 0.9,
      reasoning_effort: "low",
    };
    const dispatched = await router(chatRequest("m", { body }));
    expect(sampling(haiku)).toEqual([
      [0.7, 0.9],
      [0.7, 0.9],
      [0.7, undefined],
    ]);
    expect(haiku.calls.map((call) => call.body.output_config)).toEqual([
      { effort: "low" },
      undefined,
      undefined,
    ]);
    expect([dispatched.dropped, dispatched.attempts]).toEqual([["reasoning_effort", "top_p"], 3]);
  });

  describe("Claude on Bedrock, which says the refusal after AWS's words", () => {
    const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    const bedrockRefusal = () =>
      bedrockFailure(
        "p",
        400,
        "ValidationException",
        "The model returned the following errors: `temperature` and `top_p` cannot both be specified for this model. Please use only one.",
      );
    /** `publisher: anthropic`: Anthropic's Messages body, Bedrock's errors. */
    const invoked = () => ({
      ...fakeProvider("p", (call) =>
        call.body.temperature !== undefined && call.body.top_p !== undefined
          ? Promise.reject(bedrockRefusal())
          : Promise.resolve(jsonReply(MESSAGE)),
      ),
      dialect: "anthropic" as const,
    });
    /** Converse, translated in the provider's call as BedrockProvider does; what it sent kept. */
    const conversed: JsonObject[] = [];
    const converse = () => ({
      ...fakeProvider("p", (call) => {
        const sent = chatRequestToConverse(call.body).inferenceConfig as JsonObject;
        conversed.push(sent);
        return sent.temperature !== undefined && sent.topP !== undefined
          ? Promise.reject(bedrockRefusal())
          : Promise.resolve(jsonReply(COMPLETION));
      }),
      chatTarget: CONVERSE_TARGET,
    });
    // The provider's type is the fake's to play; config only needs one that parses.
    const on = (type: string) => ({
      providers: [{ name: "p", type }],
      models: [{ name: "m", routes: [{ provider: "p", model: CLAUDE }] }],
      routing: { retries: 0 },
    });
    const chat = (top_p: number) => ({
      body: { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0.7, top_p },
    });

    test("InvokeModel (publisher anthropic): sent again without top_p, top_p named", async () => {
      const claude = invoked();
      const dispatched = await routerFor(on("anthropic"), [claude]).router(chatRequest("m", chat(0.9)));
      expect(sampling(claude)).toEqual([
        [0.7, 0.9],
        [0.7, undefined],
      ]);
      expect(dispatched.dropped).toEqual(["top_p"]);
    });

    test("Converse: top_p 1 is not sent; any other is sent again without it, chat and Responses alike", async () => {
      conversed.length = 0;
      const one = await routerFor(on("openai"), [converse()]).router(chatRequest("m", chat(1)));
      expect([conversed, one.dropped]).toEqual([[{ temperature: 0.7 }], []]);
      conversed.length = 0;
      const other = await routerFor(on("openai"), [converse()]).router(chatRequest("m", chat(0.9)));
      expect([conversed, other.dropped]).toEqual([
        [{ temperature: 0.7, topP: 0.9 }, { temperature: 0.7 }],
        ["top_p"],
      ]);
      conversed.length = 0;
      const responses = await routerFor(on("openai"), [converse()]).router(
        chatRequest("m", {
          operation: "responses",
          body: { model: "m", input: "hi", temperature: 0.2, top_p: 0.5 },
          responses: { id: "resp_1", previous: [], onResponse: () => {} },
        }),
      );
      expect([conversed.length, responses.dropped]).toEqual([2, ["top_p"]]);
    });
  });

  test("top_p refused by name is the caller's own 400, sent once: a Responses caller on a chat route as a chat caller, and on an Anthropic route", async () => {
    const named = (name: string, dialect: "openai" | "anthropic", text: object) => ({
      ...fakeProvider(name, (call) =>
        call.body.top_p === undefined
          ? Promise.resolve(jsonReply(dialect === "openai" ? COMPLETION : MESSAGE))
          : Promise.reject(
              upstreamFailure(name, { status: 400, headers: new Headers(), text: JSON.stringify(text) }),
            ),
      ),
      dialect,
    });
    // OpenAI's o-series, as it refuses top_p.
    const O3_REFUSAL = {
      error: {
        message: "Unsupported parameter: 'top_p' is not supported with this model.",
        type: "invalid_request_error",
        param: "top_p",
        code: "unsupported_parameter",
      },
    };
    // An Anthropic-compatible server whose schema has no top_p.
    const EXTRA = {
      type: "error",
      error: { type: "invalid_request_error", message: "top_p: Extra inputs are not permitted" },
    };
    const responses = {
      operation: "responses" as const,
      body: { model: "m", input: "hi", temperature: 0.2, top_p: 0.5 },
      responses: { id: "resp_1", previous: [], onResponse: () => {} },
    };
    const chat = {
      body: { model: "m", messages: [{ role: "user", content: "hi" }], temperature: 0.2, top_p: 0.5 },
    };
    const cases = [
      { type: "openai", provider: () => named("p", "openai", O3_REFUSAL), request: responses },
      { type: "openai", provider: () => named("p", "openai", O3_REFUSAL), request: chat },
      { type: "anthropic", provider: () => named("p", "anthropic", EXTRA), request: responses },
      { type: "anthropic", provider: () => named("p", "anthropic", EXTRA), request: chat },
    ];
    for (const { type, provider, request } of cases) {
      const upstream = provider();
      const { router } = routerFor({ ...routed(), providers: [{ name: "p", type, responses_api: false }] }, [
        upstream,
      ]);
      const refused = (await router(chatRequest("m", request)).catch((e: unknown) => e)) as GatewayError;
      expect([refused.status, upstream.calls.length]).toEqual([400, 1]);
      expect(refused.message).toContain("top_p");
    }
  });
});

describe("the max_tokens a translation to Messages wrote, with the prompt past what the window leaves it", () => {
  // Sonnet 4.5 gets its whole output limit, 64,000, when the caller sets no bound; a 150,000-token
  // conversation and that bound pass its 200,000-token window together.
  const WINDOW = 200_000;
  const PROMPT = 150_000;
  const refusal = (answer: number) => ({
    type: "error",
    error: {
      type: "invalid_request_error",
      message: `input length and \`max_tokens\` exceed context limit: ${PROMPT} + ${answer} > ${WINDOW}, decrease input length or \`max_tokens\` and try again`,
    },
  });
  const MESSAGE = { id: "msg", type: "message", role: "assistant", content: [], stop_reason: "end_turn" };
  /** Refuses a call whose max_tokens the window cannot hold past the prompt, as Anthropic does. */
  const sonnet = () => ({
    ...fakeProvider("p", (call) => {
      const answer = call.body.max_tokens as number;
      if (PROMPT + answer <= WINDOW) return Promise.resolve(jsonReply(MESSAGE));
      const text = JSON.stringify(refusal(answer));
      return Promise.reject(upstreamFailure("p", { status: 400, headers: new Headers(), text }));
    }),
    dialect: "anthropic" as const,
  });
  const routed = (policy: object = {}) => ({
    providers: [{ name: "p", type: "anthropic" }],
    models: [{ name: "m", routes: [{ provider: "p", model: "claude-sonnet-4-5" }] }],
    routing: { retries: 0 },
    ...policy,
  });
  const chat = (extra: object = {}) =>
    chatRequest("m", { body: { model: "m", messages: [{ role: "user", content: "hi" }], ...extra } });
  const boundsSent = (provider: FakeProvider) => provider.calls.map((call) => call.body.max_tokens);

  test("Responses (Codex) without max_output_tokens: sent again with max_tokens the window leaves, nothing dropped", async () => {
    const provider = sonnet();
    const { router, logs } = routerFor(routed(), [provider]);
    const dispatched = await router(
      chatRequest("m", {
        operation: "responses",
        body: { model: "m", input: "hi" },
        responses: { id: "resp_1", previous: [], onResponse: () => {} },
      }),
    );
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

  test("chat without a bound: the same, under translation.unsupported: reject too (nothing is left out)", async () => {
    const provider = sonnet();
    const { router } = routerFor(routed({ translation: { unsupported: "reject" } }), [provider]);
    await router(chat());
    expect(boundsSent(provider)).toEqual([64_000, WINDOW - PROMPT]);
  });

  test("never a bound the caller set: its own max_tokens refused is its context_length_exceeded", async () => {
    const provider = sonnet();
    const { router } = routerFor(routed(), [provider]);
    const error = (await router(chat({ max_tokens: 60_000 })).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(boundsSent(provider)).toEqual([60_000]);
  });

  test("a prompt that alone fills the window is refused as it was", async () => {
    const tooLong = {
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" },
    };
    const provider = {
      ...fakeProvider("p", () =>
        Promise.reject(
          upstreamFailure("p", { status: 400, headers: new Headers(), text: JSON.stringify(tooLong) }),
        ),
      ),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor(routed(), [provider]);
    const error = (await router(chat()).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe("context_length_exceeded");
    expect(provider.calls).toHaveLength(1);
  });
});

describe("what a later step says of a Responses or Messages caller's parts: the caller's paths and names", () => {
  const PNG = "data:image/png;base64,iVBORw0KGgo=";
  const MESSAGE = { id: "msg", type: "message", role: "assistant", content: [], stop_reason: "end_turn" };
  const COMPLETION = { id: "c", choices: [{ index: 0, message: { content: "hi" }, finish_reason: "stop" }] };
  /** A Bedrock route: its provider translates in its call, as BedrockProvider does. */
  const bedrock = () => ({
    ...fakeProvider("p", (call) => {
      chatRequestToConverse(call.body);
      return Promise.resolve(jsonReply(COMPLETION));
    }),
    chatTarget: CONVERSE_TARGET,
  });
  const anthropic = () => ({
    ...fakeProvider("p", () => Promise.resolve(jsonReply(MESSAGE))),
    dialect: "anthropic" as const,
  });
  const routed = (policy: object = {}) => ({
    providers: [{ name: "p", type: "openai" }],
    models: [{ name: "m", routes: [{ provider: "p", model: "up" }] }],
    routing: { retries: 0 },
    ...policy,
  });
  /** A Responses call with `instructions` (the chat request's first message) and `part` in its third item. */
  const responses = (part: object): Partial<DispatchRequest> => ({
    operation: "responses",
    body: {
      model: "m",
      instructions: "be brief",
      input: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        { role: "user", content: [{ type: "input_text", text: "look" }, part] },
      ],
    },
    responses: { id: "resp_1", previous: [], onResponse: () => {} },
  });
  const refusal = async (provider: FakeProvider, request: Partial<DispatchRequest>, policy: object = {}) => {
    const { router } = routerFor(routed(policy), [provider]);
    const error = (await router(chatRequest("m", request)).catch((e: unknown) => e)) as GatewayError;
    return [error.status, error.param, error.message];
  };

  test("Responses on Bedrock: a 400 names input[2].content[1] and its input_image / input_file, not messages.3.content.1", async () => {
    expect(
      await refusal(bedrock(), responses({ type: "input_image", image_url: "https://x.test/a.png" })),
    ).toEqual([
      400,
      "input[2].content[1]",
      "input[2].content[1]: this model takes images only as base64 data: URLs (png, jpeg, gif, webp)",
    ]);
    const zip = { type: "input_file", filename: "a.zip", file_data: "data:application/zip;base64,UEs=" };
    expect((await refusal(bedrock(), responses(zip))).slice(0, 2)).toEqual([400, "input[2].content[1]"]);
  });

  test("Responses on Anthropic: a part Messages has no block for is input_file at input[2].content[1]", async () => {
    const docx = {
      type: "input_file",
      filename: "a.docx",
      file_data: "data:application/vnd.openxmlformats-officedocument.wordprocessingml.document;base64,UEs=",
    };
    expect(await refusal(anthropic(), responses(docx))).toEqual([
      400,
      "input[2].content[1]",
      'input[2].content[1]: part "input_file" holds application/vnd.openxmlformats-officedocument.wordprocessingml.document (a.docx), which this model cannot read: it takes a PDF (application/pdf) or text (text/plain, text/markdown, text/csv, … any text/*) as a data: URL in file_data',
    ]);
  });

  test("what a later step drops is named as the Responses API calls it, and refused at the caller's path", async () => {
    const detail = { type: "input_image", image_url: PNG, detail: "high" };
    for (const provider of [anthropic, bedrock]) {
      const { router } = routerFor(routed(), [provider()]);
      const dispatched = await router(chatRequest("m", responses(detail)));
      expect(dispatched.dropped).toEqual(["content.input_image.detail"]);
      expect(
        await refusal(provider(), responses(detail), { translation: { unsupported: "reject" } }),
      ).toEqual([
        400,
        "input[2].content[1].detail",
        "input[2].content[1].detail: content.input_image.detail cannot be translated for this model's upstream (translation.unsupported: reject)",
      ]);
    }
    const { router } = routerFor(routed(), [anthropic()]);
    const byId = await router(chatRequest("m", responses({ type: "input_file", file_id: "file-abc" })));
    expect(byId.dropped).toEqual(["content.input_file.file_id"]);
  });

  test("an OpenAI upstream's own param naming a chat message is the Responses caller's item too", async () => {
    const refusing = fakeProvider("p", () => {
      const body = {
        error: {
          message: "Invalid image URL.",
          type: "invalid_request_error",
          param: "messages[3].content[1].image_url",
          code: "invalid_image_url",
        },
      };
      return Promise.reject(
        upstreamFailure("p", { status: 400, headers: new Headers(), text: JSON.stringify(body) }),
      );
    });
    const { router } = routerFor(routed(), [refusing]);
    const image = { type: "input_image", image_url: "https://x.test/a.png" };
    const error = (await router(chatRequest("m", responses(image))).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.param]).toEqual([400, "input[2].content[1].image_url"]);
    expect(error.upstream?.body?.error).toMatchObject({ param: "input[2].content[1].image_url" });
  });

  test.each([
    ["messages[1].content", "input[2].content"],
    ["messages[1].tool_calls", "input[1]"],
  ])(
    "text after a call, merged into the call's chat message: a 400 about its content names its own item, about the message the call's (%s: %s)",
    async (param, named) => {
      const refusing = fakeProvider("p", () => {
        const body = {
          error: {
            message: "Invalid value: expected a string, got an empty one.",
            type: "invalid_request_error",
            param,
            code: "invalid_value",
          },
        };
        return Promise.reject(
          upstreamFailure("p", { status: 400, headers: new Headers(), text: JSON.stringify(body) }),
        );
      });
      const { router } = routerFor(routed(), [refusing]);
      const input = [
        { role: "user", content: "Weather?" },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "\n\n", annotations: [] }],
        },
        { type: "function_call_output", call_id: "c1", output: "sun" },
      ];
      const request = {
        operation: "responses" as const,
        body: { model: "m", input },
        responses: { id: "resp_1", previous: [], onResponse: () => {} },
      };
      const error = (await router(chatRequest("m", request)).catch((e: unknown) => e)) as GatewayError;
      expect([error.status, error.param]).toEqual([400, named]);
    },
  );

  test("an Anthropic caller's tool result a Gemini route cannot pair: its tool_use_id, at messages.1.content.0", async () => {
    const gemini = {
      ...fakeProvider("p", (call) => {
        chatRequestToGemini(call.body);
        return Promise.resolve(jsonReply(COMPLETION));
      }),
      chatTarget: GEMINI_TARGET,
    };
    const body = {
      model: "m",
      max_tokens: 10,
      system: "be brief",
      messages: [
        { role: "user", content: "weather?" },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_never", content: "18C" }] },
      ],
    };
    expect(await refusal(gemini, { operation: "messages", body })).toEqual([
      400,
      "messages.1.content.0.tool_use_id",
      "messages.1.content.0.tool_use_id: does not answer a tool call earlier in the conversation",
    ]);
  });

  test("an Anthropic caller with a system prompt: a Bedrock 400 names its block, messages.0.content.1", async () => {
    const body = {
      model: "m",
      max_tokens: 10,
      system: "be brief",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image", source: { type: "url", url: "https://x.test/a.png" } },
          ],
        },
      ],
    };
    expect(await refusal(bedrock(), { operation: "messages", body })).toEqual([
      400,
      "messages.0.content.1",
      "messages.0.content.1: this model takes images only as base64 data: URLs (png, jpeg, gif, webp)",
    ]);
  });
});

describe("an Anthropic route's refusal of a schema, said of the chat caller's field", () => {
  // Anthropic has no `param`: its message leads with the field it refuses.
  const anthropicRefusing = (message: string) => ({
    ...fakeProvider("an", () => {
      const body = { type: "error", error: { type: "invalid_request_error", message } };
      return Promise.reject(
        upstreamFailure("an", { status: 400, headers: new Headers(), text: JSON.stringify(body) }),
      );
    }),
    dialect: "anthropic" as const,
  });
  const config = {
    providers: [{ name: "an", type: "anthropic" }],
    models: [{ name: "m", routes: [{ provider: "an", model: "up" }] }],
    routing: { retries: 0 },
  };
  const refusedWith = async (provider: FakeProvider, body: JsonObject) => {
    const { router } = routerFor(config, [provider]);
    const error = (await router(chatRequest("m", { body })).catch((e: unknown) => e)) as GatewayError;
    return [error.status, error.param, error.message];
  };
  const base = { model: "m", messages: [{ role: "user", content: "hi" }] };

  test("the format's schema is response_format.json_schema.schema", async () => {
    const format = { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } };
    expect(
      await refusedWith(
        anthropicRefusing("output_config.format.schema: Schemas contains too many optional parameters"),
        { ...base, response_format: format },
      ),
    ).toEqual([
      400,
      "response_format.json_schema.schema",
      "response_format.json_schema.schema: Schemas contains too many optional parameters",
    ]);
  });

  test("a Responses caller's is text.format.schema", async () => {
    const { router } = routerFor(config, [
      anthropicRefusing("output_config.format.schema: Schemas contains too many optional parameters"),
    ]);
    const format = { type: "json_schema", name: "r", schema: { type: "object" } };
    const request = chatRequest("m", {
      operation: "responses",
      body: { model: "m", input: "hi", text: { format } },
      responses: { id: "resp_1", previous: [], onResponse: () => {} },
    });
    const error = (await router(request).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.param, error.message]).toEqual([
      400,
      "text.format.schema",
      "text.format.schema: Schemas contains too many optional parameters",
    ]);
  });

  test("a tool's input_schema is its function's parameters, at its index", async () => {
    const tool = (name: string) => ({ type: "function", function: { name, parameters: { type: "object" } } });
    expect(
      await refusedWith(anthropicRefusing("tools.1.custom.input_schema: JSON schema is invalid"), {
        ...base,
        tools: [tool("a"), tool("b")],
      }),
    ).toEqual([400, "tools[1].function.parameters", "tools[1].function.parameters: JSON schema is invalid"]);
  });

  test("a field within a tool's input_schema is within its function's parameters; stop_sequences is stop", async () => {
    const tool = { type: "function", function: { name: "a", parameters: { type: "object" } } };
    expect(
      await refusedWith(
        anthropicRefusing("tools.0.custom.input_schema.properties.city: Input should be a valid dictionary"),
        { ...base, tools: [tool] },
      ),
    ).toEqual([
      400,
      "tools[0].function.parameters.properties.city",
      "tools[0].function.parameters.properties.city: Input should be a valid dictionary",
    ]);
    expect(
      await refusedWith(anthropicRefusing("stop_sequences: each stop sequence must be shorter"), {
        ...base,
        stop: ["END"],
      }),
    ).toEqual([400, "stop", "stop: each stop sequence must be shorter"]);
  });

  test("a Responses caller's tool is its own, at its place among its tools: the chat step's names, then the Responses call's", async () => {
    const { router } = routerFor(config, [
      anthropicRefusing("tools.1.custom.input_schema: JSON schema is invalid"),
    ]);
    const request = chatRequest("m", {
      operation: "responses",
      body: {
        model: "m",
        input: "hi",
        tools: [
          // A hosted tool no chat upstream runs: dropped, so the chat tools' indexes are not the caller's.
          { type: "web_search" },
          { type: "function", name: "a", parameters: { type: "object" } },
          {
            type: "namespace",
            name: "ns",
            tools: [{ type: "function", name: "b", parameters: { type: "object" } }],
          },
        ],
      },
      responses: { id: "resp_1", previous: [], onResponse: () => {} },
    });
    const error = (await router(request).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.param, error.message]).toEqual([
      400,
      "tools[2].tools[0].parameters",
      "tools[2].tools[0].parameters: JSON schema is invalid",
    ]);
    const { router: within } = routerFor(config, [
      anthropicRefusing("tools.0.custom.input_schema.properties: Input should be a valid dictionary"),
    ]);
    const deeper = (await within(request).catch((e: unknown) => e)) as GatewayError;
    expect(deeper.param).toBe("tools[1].parameters.properties");
  });

  test("any other field it leads with is left as it said it, with no param", async () => {
    expect(
      await refusedWith(anthropicRefusing("messages.0.content: text content blocks must be non-empty"), base),
    ).toEqual([400, undefined, "messages.0.content: text content blocks must be non-empty"]);
  });
});
