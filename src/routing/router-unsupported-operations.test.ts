import { expect, test } from "bun:test";
import { GatewayError, upstreamError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import {
  chatRequest,
  type FakeProvider,
  fakeProvider,
  jsonReply,
  type KitRoute,
  modelOver,
  routerFor,
} from "./router-test-kit.ts";
import { MESSAGE, refusedBy } from "./router-unsupported-fixture.ts";

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
/** The gateway's own count of `countTokens`' body, when no upstream counts it. */
const ESTIMATE = { kind: "json" as const, body: { input_tokens: 4 } };

/** An upstream that fails every call with a 529 (or `status`) saying `text`, as an overloaded one does. */
const failing =
  (
    name: string,
    text = '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    status = 529,
  ) =>
  () =>
    Promise.reject(upstreamFailure(name, { status, headers: new Headers(), text }));
/** One failure opens a route's breaker, for 30s. */
const breaker = { retries: 0, circuit_breaker: { failures: 1, cooldown: "30s" } };
const completions = () => chatRequest("m", { operation: "completions", body: { model: "m", prompt: "hi" } });

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
  const down = { ...fakeProvider("down", failing("down")), dialect: "anthropic" as const };
  const up = {
    ...fakeProvider("up", () => Promise.resolve(jsonReply(MESSAGE))),
    dialect: "anthropic" as const,
  };
  const routes = [
    { provider: "down", type: "anthropic", model: "x" },
    { provider: "up", type: "anthropic", model: "y" },
  ];
  const { router, health } = routerFor(modelOver(routes, breaker), [down, up]);
  // A chat call opens the first route's breaker; the second answers it.
  expect((await router(chatRequest("m"))).route).toBe("provider:up");
  expect(health.isOpen("down/x")).toBe(true);
  const refused = await refusedBy(router, completions());
  expect([refused.status, refused.code, refused.headers]).toEqual([400, "unsupported_operation", {}]);
  expect(refused.message).toBe("model m is served by upstream up, which cannot serve completions");
  // An OpenAI-shaped route out of service could have: when to come back is the answer there.
  const openai = fakeProvider("oa", failing("oa", "{}", 503));
  const mixed = [{ provider: "oa", type: "openai", model: "x" }, routes[1] as KitRoute];
  const second = routerFor(modelOver(mixed, breaker), [openai, up]);
  await second.router(chatRequest("m")).catch(() => {});
  const later = await refusedBy(second.router, completions());
  expect([later.status, later.code, later.headers]).toEqual([
    503,
    "no_route_available",
    { "retry-after": "30" },
  ]);
});

test("a model whose one route is out of service: an operation the route could not serve is its 400, a count the estimate, never a 503", async () => {
  // Claude: a completions call has no translation to it, now or after the cooldown.
  const claude = { ...fakeProvider("an", failing("an")), dialect: "anthropic" as const };
  const one = routerFor(modelOver([{ provider: "an", type: "anthropic", model: "y" }], breaker), [claude]);
  await one.router(chatRequest("m")).catch(() => {});
  expect(one.health.isOpen("an/y")).toBe(true);
  const refused = await refusedBy(one.router, completions());
  expect([refused.status, refused.code, refused.headers]).toEqual([400, "unsupported_operation", {}]);
  expect(refused.message).toBe("model m is served by upstream an, which cannot serve completions");
  // OpenAI-shaped: no upstream of it counts, the gateway does (Claude Code counts before every turn).
  const openai = fakeProvider("oa", failing("oa", "{}"));
  const counting = routerFor(modelOver([{ provider: "oa", type: "openai", model: "x" }], breaker), [openai]);
  await counting.router(chatRequest("m")).catch(() => {});
  expect(counting.health.isOpen("oa/x")).toBe(true);
  const counted = await counting.router(countTokens("m"));
  expect([counted.route, counted.reply]).toEqual([null, ESTIMATE]);
  expect([claude.calls.length, openai.calls.length]).toEqual([1, 1]);
});

test("when no route can count, the gateway estimates with a tokenizer; no upstream is called", async () => {
  const openai = fakeProvider("oa");
  const other = fakeProvider("an");
  const { router } = routerFor(config, [openai, other]);
  const dispatched = await router(countTokens("m"));
  expect(dispatched.reply).toEqual(ESTIMATE);
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
  expect(dispatched.reply).toEqual(ESTIMATE);
});

test.each([
  ["first", config.models[0]?.routes],
  ["second", config.models[0]?.routes.toReversed()],
])(
  "a count whose counting route failed is refused with that failure, the route that cannot count %s: no estimate stands in for an upstream that failed",
  async (_, routes) => {
    // A server fault, retried and failed over from as any.
    const counting = {
      ...fakeProvider("an", () => Promise.reject(upstreamError("upstream exploded"))),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor({ ...config, models: [{ name: "m", routes }] }, [
      fakeProvider("oa"),
      counting,
    ]);
    const refused = await refusedBy(router, countTokens("m"));
    expect([refused.code, refused.message]).toEqual(["upstream_error", "upstream exploded"]);
    expect(counting.calls.length).toBeGreaterThan(0);
  },
);

test.each([
  ["its own 404 (FastAPI's)", JSON.stringify({ detail: "Not Found" })],
  ["a page", "<html><body>Not Found</body></html>"],
])(
  "a count an Anthropic-compatible server answers 404 (no /v1/messages/count_tokens: %s) is the estimate's, and no route failure",
  async (_, text) => {
    const anthropic = { ...fakeProvider("an", failing("an", text, 404)), dialect: "anthropic" as const };
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
      expect(dispatched.reply).toEqual(ESTIMATE);
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
  const webSearch = { type: "web_search_20250305", name: "web_search" };
  const dispatched = await router({
    ...countTokens("m"),
    body: { model: "m", messages: [{ role: "user", content: "hi" }], tools: [webSearch] },
  });
  expect(dispatched.reply).toEqual({ kind: "json", body: { input_tokens: 5 } });
  expect(dispatched.dropped).toEqual(["tools.web_search_20250305"]);
  // The same tools in a messages call are refused under this config.
  const refused = await router({
    ...countTokens("m"),
    operation: "messages",
    body: { model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }], tools: [webSearch] },
  }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(GatewayError);
  expect((refused as GatewayError).status).toBe(400);
});
