import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { DispatchRequest } from "./router.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { MESSAGE, oneRoute } from "./router-unsupported-fixture.ts";

// A chat caller's `thinking` (Anthropic's extended thinking, in the chat body) toward Claude in
// Anthropic's own body (Anthropic's API, Bedrock's InvokeModel, Vertex AI), as it goes toward Claude
// on Converse (router-bedrock-thinking.test.ts): carried as written, not named dropped.

const THINKING = { type: "enabled", budget_tokens: 2048 };

const thinkingChat = (): Partial<DispatchRequest> => ({
  body: { model: "m", messages: [{ role: "user", content: "hi" }], thinking: THINKING },
});

const claude = () => ({
  ...fakeProvider("p", () => Promise.resolve(jsonReply(MESSAGE))),
  dialect: "anthropic" as const,
});

describe("a chat caller's thinking (Anthropic's) toward Claude's Messages API", () => {
  test("sent as written, not named dropped", async () => {
    const provider = claude();
    const dispatched = await routerFor(oneRoute("anthropic", "claude-sonnet-4-5"), [provider]).router(
      chatRequest("m", thinkingChat()),
    );
    expect(provider.calls[0]?.body.thinking).toEqual(THINKING);
    expect(dispatched.dropped ?? []).not.toContain("thinking");
  });

  test("under translation.unsupported: reject, sent, not refused", async () => {
    const provider = claude();
    const { router } = routerFor(
      oneRoute("anthropic", "claude-sonnet-4-5", { translation: { unsupported: "reject" } }),
      [provider],
    );
    const refused = await router(chatRequest("m", thinkingChat())).then(
      () => undefined,
      (error: unknown) => error as GatewayError,
    );
    expect(refused?.param).toBeUndefined();
    expect(provider.calls[0]?.body.thinking).toEqual(THINKING);
  });

  test("none asked, none sent", async () => {
    const provider = claude();
    await routerFor(oneRoute("anthropic", "claude-sonnet-4-5"), [provider]).router(chatRequest("m"));
    expect(provider.calls[0]?.body.thinking).toBeUndefined();
  });
});
