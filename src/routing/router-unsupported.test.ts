import { expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";

// count_tokens exists only in the Anthropic dialect: on a model whose first route is
// OpenAI-shaped, the router passes over that route instead of failing the request.
const config = {
  providers: [
    { name: "oa", type: "openai" },
    { name: "an", type: "anthropic" },
  ],
  models: [
    {
      name: "m",
      routes: [
        { provider: "oa", model: "x" },
        { provider: "an", model: "y" },
      ],
    },
  ],
  routing: { backoff: 0 },
};
const countTokens = (model: string) => ({
  operation: "count_tokens" as const,
  body: { model, messages: [{ role: "user", content: "hi" }] },
  model,
  stream: false,
  requestId: "req_test",
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

test("when no route can count, the gateway estimates with a tokenizer; no upstream is called", async () => {
  const openai = fakeProvider("oa");
  const other = fakeProvider("an");
  const { router } = routerFor(config, [openai, other]);
  const dispatched = await router(countTokens("m"));
  expect(dispatched.reply).toEqual({ kind: "json", body: { input_tokens: 4 } });
  expect(dispatched.route).toBe("provider:oa");
  expect(openai.calls).toHaveLength(0);
  expect(other.calls).toHaveLength(0);
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
