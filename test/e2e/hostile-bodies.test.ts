import { describe, expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

// Requests built to break the gateway rather than to be answered.
const f = gatewayFixture({
  config: { server: { max_body: "1MB" }, routing: { retries: 0, circuit_breaker: { failures: 2 } } },
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(f.url("/v1/chat/completions"), {
    method: "POST",
    headers: { ...bearer(f.adminKey), ...headers },
    body,
  });

describe("hostile request bodies", () => {
  test("a body nested 100,000 deep is the caller's 400 and never opens the route's breaker", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const body = chatBody("fake-model", "hi").replace(/}$/, `,"x":${deep}}`);
    for (let i = 0; i < 3; i++) {
      const response = await post(body);
      expect(response.status).toBe(400);
      const error = ((await response.json()) as { error: { code: string; message: string } }).error;
      expect(error.code).toBe("invalid_json");
      expect(error.message).toContain("nests deeper");
    }
    // The route is still in service for everyone else.
    const normal = await post(chatBody("fake-model", "still there?"));
    expect(normal.status).toBe(200);
    expect(f.fake.requests.length).toBe(1);
  });

  test("client routing fields (api_base, api_key, …) never leave the gateway; unknown fields do", async () => {
    f.fake.reset();
    const extra = {
      api_base: "http://169.254.169.254/latest",
      base_url: "http://evil.test/v1",
      api_key: "sk-client-secret",
      custom_llm_provider: "openai",
      metadata: { trace: "keep me" },
    };
    const response = await post(chatBody("fake-model", "hi", extra));
    expect(response.status).toBe(200);
    const sent = (await f.fake.waitForRequest(1)).body as Record<string, unknown>;
    for (const field of ["api_base", "base_url", "api_key", "custom_llm_provider"])
      expect(sent).not.toHaveProperty(field);
    expect(sent.metadata).toEqual({ trace: "keep me" });
  });

  test("a long model name is a 400 naming `model` in either dialect, never matched against a key's globs nor echoed", async () => {
    // A 600 KB name against `*llama*-instruct` once held the event loop for half a minute.
    const key = await createKey(f.gw, { name: "globbed", models: ["*llama*-instruct"] });
    const model = "llama".repeat(120_000);
    const chat = await post(chatBody(model), bearer(key.key));
    expect(chat.status).toBe(400);
    expect(((await chat.json()) as { error: unknown }).error).toMatchObject({
      param: "model",
      code: "invalid_request",
      message: "model must be at most 256 characters",
    });
    const messages = await fetch(f.url("/v1/messages"), {
      method: "POST",
      headers: {
        "x-api-key": key.key,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(messages.status).toBe(400);
    expect(await messages.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: "model must be at most 256 characters" },
    });
    // A path's id is as long as the URL lets it be: matched in one pass, and quoted cut short.
    const retrieve = await fetch(f.url(`/v1/models/${"llama".repeat(1_000)}`), { headers: bearer(key.key) });
    expect(retrieve.status).toBe(404);
    const said = ((await retrieve.json()) as { error: { message: string } }).error.message;
    expect(said.length).toBeLessThan(400);
    expect(f.gw.stderr.all).not.toContain("llama".repeat(60));
  });
});
