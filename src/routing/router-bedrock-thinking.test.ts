import { describe, expect, test } from "bun:test";
import type { CloudAnswer } from "../../test/fake-cloud/cloud-script.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { messagesCall, routed, whole } from "./bedrock-router-kit.ts";
import type { DispatchRequest } from "./dispatch.ts";
import { chatRequest } from "./router-test-kit.ts";

// An Anthropic caller's thinking through Converse to Claude: `thinking` in
// `additionalModelRequestFields`, and the signed thinking of past turns back as `reasoningContent`
// blocks, so Claude goes on with tool use while it thinks.

const ANSWER: CloudAnswer = { text: "Sunny.", inputTokens: 10, outputTokens: 2 };
const THINKING = { type: "enabled", budget_tokens: 2048 };

/** A conversation Claude thought through: a signed block, a redacted one, a call, its result. */
const history = (thinking?: JsonObject) =>
  messagesCall(false, {
    max_tokens: 4096,
    ...(thinking ? { thinking } : {}),
    tools: [{ name: "weather", input_schema: { type: "object", properties: {} } }],
    messages: [
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Look it up.", signature: "sig-1" },
          { type: "redacted_thinking", data: "RXJtZW5jcnlwdGVk" },
          { type: "tool_use", id: "toolu_1", name: "weather", input: { city: "Paris" } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
    ],
  });

describe("thinking to Claude through Converse", () => {
  test("thinking goes in additionalModelRequestFields, as the caller wrote it, and is not named dropped", async () => {
    const { router, sent } = routed(ANSWER);
    const dispatched = await router(
      chatRequest("m", messagesCall(false, { max_tokens: 4096, thinking: THINKING })),
    );
    whole(dispatched);
    expect(sent[0]?.additionalModelRequestFields).toEqual({ thinking: THINKING });
    expect(dispatched.dropped ?? []).not.toContain("thinking");
  });

  test("the signed thinking of a past turn goes back as reasoningContent before its call, the redacted as redactedContent", async () => {
    const { router, sent } = routed(ANSWER);
    whole(await router(chatRequest("m", history(THINKING))));
    const assistant = ((sent[0]?.messages ?? []) as JsonObject[])[1];
    expect(assistant?.content).toEqual([
      { reasoningContent: { reasoningText: { text: "Look it up.", signature: "sig-1" } } },
      { reasoningContent: { redactedContent: "RXJtZW5jcnlwdGVk" } },
      { toolUse: { toolUseId: "toolu_1", name: "weather", input: { city: "Paris" } } },
    ]);
  });

  test("without thinking on, past thinking is left out as before (Bedrock refuses it in a request that does not think)", async () => {
    const { router, sent } = routed(ANSWER);
    whole(await router(chatRequest("m", history())));
    expect(JSON.stringify(sent[0])).not.toContain("reasoningContent");
    expect(sent[0]?.additionalModelRequestFields).toBeUndefined();
  });

  test("a model that is no Claude is sent neither, and thinking is named dropped", async () => {
    const { router, sent } = routed(ANSWER, "meta.llama3-70b-instruct-v1:0");
    const dispatched = await router(chatRequest("m", history(THINKING)));
    whole(dispatched);
    expect(JSON.stringify(sent[0])).not.toContain("reasoningContent");
    expect(sent[0]?.additionalModelRequestFields).toBeUndefined();
    expect(dispatched.dropped).toContain("thinking");
  });
});

test.each([
  "anthropic.claude-3-5-sonnet-20240620-v1:0",
  "anthropic.claude-v2:1",
  "anthropic.claude-instant-v1",
])(
  "Claude before 3.7 Sonnet (%s), which has no extended thinking, is sent none, and thinking is named dropped",
  async (model) => {
    const { router, sent } = routed(ANSWER, model);
    const dispatched = await router(chatRequest("m", history(THINKING)));
    whole(dispatched);
    expect(JSON.stringify(sent[0])).not.toContain("reasoningContent");
    expect(sent[0]?.additionalModelRequestFields).toBeUndefined();
    expect(dispatched.dropped).toContain("thinking");
  },
);

describe("a chat caller's thinking (Anthropic's) through Converse", () => {
  /** A chat call that asks Anthropic's extended thinking. */
  const thinkingChat = (): Partial<DispatchRequest> => ({
    body: { model: "m", messages: [{ role: "user", content: "hi" }], thinking: THINKING },
  });

  test("to a Claude that thinks: in additionalModelRequestFields, not named dropped", async () => {
    const { router, sent } = routed(ANSWER);
    const dispatched = await router(chatRequest("m", thinkingChat()));
    whole(dispatched);
    expect(sent[0]?.additionalModelRequestFields).toEqual({ thinking: THINKING });
    expect(dispatched.dropped ?? []).not.toContain("thinking");
  });

  test.each([
    ["a model that is no Claude", "meta.llama3-70b-instruct-v1:0"],
    ["Claude before 3.7 Sonnet", "anthropic.claude-3-5-sonnet-20240620-v1:0"],
  ])("to %s: not sent, and named dropped", async (_, model) => {
    const { router, sent } = routed(ANSWER, model);
    const dispatched = await router(chatRequest("m", thinkingChat()));
    whole(dispatched);
    expect(sent[0]?.additionalModelRequestFields).toBeUndefined();
    expect(dispatched.dropped).toEqual(["thinking"]);
  });

  test("to a model that is no Claude, under translation.unsupported: reject: refused, naming thinking, nothing sent", async () => {
    const { router, sent } = routed(ANSWER, "meta.llama3-70b-instruct-v1:0", {
      translation: { unsupported: "reject" },
    });
    const refused = (await router(chatRequest("m", thinkingChat())).catch((e: unknown) => e)) as GatewayError;
    expect([refused.status, refused.param]).toEqual([400, "thinking"]);
    expect(refused.message).toContain("translation.unsupported: reject");
    expect(sent).toEqual([]);
  });
});
