import { expect, test } from "bun:test";
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
