import { describe, expect, test } from "bun:test";
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
});
