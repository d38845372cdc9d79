import { expect, test } from "bun:test";
import { fakeProvider, routerFor } from "./router-test-kit.ts";

// Model names through the router: a dated alias, a glob entry that passes the client's own name
// upstream (`model: "*"`), and a more specific glob beside a broad one.
const config = {
  providers: [{ name: "oa", type: "openai" }],
  models: [
    { name: "claude-*", routes: [{ provider: "oa", model: "*" }] },
    { name: "claude-opus-*", routes: [{ provider: "oa", model: "big-model" }] },
    { name: "gpt-4o-mini", aliases: ["gpt-4o-mini-2024-07-18"], routes: [{ provider: "oa", model: "mini" }] },
  ],
  routing: { backoff: 0, retries: 0 },
};
const chat = (model: string) => ({
  operation: "chat" as const,
  body: { model, messages: [{ role: "user", content: "hi" }] },
  model,
  stream: false,
  requestId: "req_names",
  signal: new AbortController().signal,
});

test("aliases, most specific globs and `*` routes decide the upstream model", async () => {
  const provider = fakeProvider("oa");
  const { router } = routerFor(config, [provider]);
  expect((await router(chat("gpt-4o-mini-2024-07-18"))).upstreamModel).toBe("mini");
  expect((await router(chat("claude-opus-5-5"))).upstreamModel).toBe("big-model");
  expect((await router(chat("claude-haiku-4-5"))).upstreamModel).toBe("claude-haiku-4-5");
  expect(provider.calls.map((call) => call.body.model)).toEqual(["mini", "big-model", "claude-haiku-4-5"]);
  await expect(router(chat("llama"))).rejects.toMatchObject({ status: 404, code: "model_not_found" });
});
