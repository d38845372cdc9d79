import { expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
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

test("when no route can serve it, the answer is a 400 that says so, and no upstream is called", async () => {
  const openai = fakeProvider("oa");
  const other = fakeProvider("an");
  const { router } = routerFor(config, [openai, other]);
  const error = (await router(countTokens("m")).catch((e: unknown) => e)) as GatewayError;
  expect(error.status).toBe(400);
  expect(error.code).toBe("unsupported_operation");
  expect(openai.calls).toHaveLength(0);
  expect(other.calls).toHaveLength(0);
});
