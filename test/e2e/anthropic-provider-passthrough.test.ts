import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { FAKE_TOOL_ARGUMENTS } from "../fake-upstream/fake-script.ts";
import { auditRow } from "./harness/admin-api.ts";
import { anthropicProviderFixture, UPSTREAM_KEY } from "./harness/anthropic-provider-fixture.ts";
import { anthropicFailure } from "./harness/sdk-failure.ts";

// The Anthropic SDK to an `anthropic` route: the same dialect, passed straight through; thinking
// from another route, or of DeepSeek's, sent as each upstream takes it.

const fx = anthropicProviderFixture();
const { upstreamCall } = fx;

describe("Anthropic SDK → Anthropic route (same dialect)", () => {
  test("passes through untouched: unknown fields reach the upstream as sent, only the model renamed", async () => {
    const before = fx.fake.requests.length;
    const sent = {
      model: "c1",
      max_tokens: 32,
      top_k: 5,
      metadata: { user_id: "u-1" },
      x_vendor_extension: { nested: [1, { deep: true }] },
      system: [{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: [{ type: "text", text: "verbatim please" }] }],
    };
    const response = await fetch(`${fx.gw.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": fx.gw.adminKey ?? "", "content-type": "application/json" },
      body: JSON.stringify(sent),
    });
    expect(response.status).toBe(200);
    const up = await upstreamCall(before);
    expect(up.body).toEqual({ ...sent, model: "claude-up" });
  });

  test("a 600 KB photo reaches a 200k-token route byte for byte: its base64 is no text to the window", async () => {
    // Refused before as 'prompt is too long: 204813 tokens > 200000 maximum', never sent.
    const data = Buffer.from(Uint8Array.from({ length: 600 * 1024 }, (_, i) => i % 251)).toString("base64");
    const messages: Anthropic.MessageParam[] = [
      {
        role: "user",
        content: [
          { type: "text", text: "what is in this photo?" },
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data } },
        ],
      },
    ];
    const before = fx.fake.requests.length;
    const message = await fx.anthropic.messages.create({ model: "c-200k", max_tokens: 50, messages });
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: what is in this photo?" });
    const up = await upstreamCall(before);
    expect(up.body.messages).toEqual(messages);
  });

  test("non-stream and stream through the SDK", async () => {
    const message = await fx.anthropic.messages.create({
      model: "c1",
      max_tokens: 32,
      messages: [{ role: "user", content: "straight through" }],
    });
    expect(message.content[0]).toMatchObject({ type: "text", text: "echo: straight through" });
    expect(message.model).toBe("claude-up");
    const final = await fx.anthropic.messages
      .stream({ model: "c1", max_tokens: 32, messages: [{ role: "user", content: "streamed through" }] })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: "echo: streamed through" });
  });

  test("tools pass through, streamed tool_use input included", async () => {
    const final = await fx.anthropic.messages
      .stream({
        model: "c1",
        max_tokens: 64,
        tools: [{ name: "get_weather", input_schema: { type: "object", properties: {} } }],
        messages: [{ role: "user", content: "weather?" }],
      })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content[0]).toMatchObject({ type: "tool_use", input: FAKE_TOOL_ARGUMENTS });
  });

  test("an upstream error status keeps its message, in Anthropic's shape", async () => {
    const error = await anthropicFailure(
      fx.anthropic.messages.create({
        model: "c1",
        max_tokens: 8,
        messages: [{ role: "user", content: "no [[fake:status=400]]" }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.error).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "fake upstream: status 400 on request" },
    });
  });

  test("an in-stream `event: error` reaches the SDK as an error", async () => {
    const stream = fx.anthropic.messages.stream({
      model: "c1",
      max_tokens: 32,
      messages: [{ role: "user", content: "one two three [[fake:stream-error=3]]" }],
    });
    const error = await anthropicFailure(stream.finalMessage());
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(String(error)).toContain("overloaded");
  });

  test("a conversation a chat route answered with reasoning in a failover goes on to Claude without that unsigned thinking, named", async () => {
    // Claude is overloaded: the chat route answers, its reasoning a thinking block with no signature.
    fx.fake.enqueue({ status: 529 }, { reasoning: "Listing the files first." });
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const thinking = { type: "enabled", budget_tokens: 1024 } as const;
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "list the files" }];
    const first = await fx.anthropic.messages.create({
      model: "c-failover",
      max_tokens: 2048,
      tools,
      thinking,
      messages,
    });
    expect(first.content[0]).toEqual({
      type: "thinking",
      thinking: "Listing the files first.",
      signature: "",
    });
    const call = first.content.find((block) => block.type === "tool_use");
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call?.id ?? "", content: "a.txt" }] },
    );
    // Claude is back. It refuses thinking it did not sign ("Invalid `signature` in `thinking`
    // block"), and, with extended thinking, a tool loop whose turn does not begin with thinking.
    const before = fx.fake.requests.length;
    const { data, response } = await fx.anthropic.messages
      .create({ model: "c-failover", max_tokens: 2048, tools, thinking, messages })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect((up.body.messages as { content: unknown }[])[1]?.content).toEqual([call]);
    expect(up.body.thinking).toBeUndefined();
    const named = "content.thinking (unsigned), thinking";
    expect(response.headers.get("x-mindgw-dropped")).toBe(named);
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.dropped]).toEqual(["provider:claude", named]);
  });

  test("to DeepSeek's Anthropic API, the unsigned thinking of a chat route's turn goes back as received, which its thinking mode requires", async () => {
    // DeepSeek is overloaded: the chat route answers, its reasoning a thinking block with no signature.
    fx.fake.enqueue({ status: 529 }, { reasoning: "Listing the files first." });
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: "list the files" }];
    const first = await fx.anthropic.messages.create({
      model: "ds-failover",
      max_tokens: 2048,
      tools,
      messages,
    });
    expect(first.content[0]).toMatchObject({ type: "thinking", signature: "" });
    const call = first.content.find((block) => block.type === "tool_use");
    messages.push(
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call?.id ?? "", content: "a.txt" }] },
    );
    // DeepSeek is back; it refuses a tool-call turn without its thinking ("must be passed back").
    const before = fx.fake.requests.length;
    const { data, response } = await fx.anthropic.messages
      .create({ model: "ds-failover", max_tokens: 2048, tools, messages })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    expect((up.body.messages as { content: unknown }[])[1]?.content).toEqual(first.content);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.dropped]).toEqual(["provider:deepseek", undefined]);
  });

  test("to DeepSeek's Anthropic API, Claude's redacted_thinking, which it does not take, is left out and named; Claude's signed thinking goes as it is", async () => {
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const signed = { type: "thinking" as const, thinking: "Listing first.", signature: "EqQBCkYIBxgCKkA" };
    const redacted = { type: "redacted_thinking" as const, data: "EmwKAhgBEgy3va" };
    const call = { type: "tool_use" as const, id: "toolu_1", name: "Bash", input: {} };
    const before = fx.fake.requests.length;
    const { data, response } = await fx.anthropic.messages
      .create({
        model: "ds-failover",
        max_tokens: 2048,
        tools,
        messages: [
          { role: "user", content: "list the files" },
          { role: "assistant", content: [signed, redacted, call] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" }] },
        ],
      })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    expect((up.body.messages as { content: unknown }[])[1]?.content).toEqual([signed, call]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("content.redacted_thinking");
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.dropped]).toEqual(["provider:deepseek", "content.redacted_thinking"]);
  });

  test("to DeepSeek's Anthropic API, a tool-call turn left without thinking (all of it redacted, or none written) leads with an empty unsigned block", async () => {
    // DeepSeek's thinking mode refuses a tool-call turn without thinking ("must be passed back").
    const tools: Anthropic.Tool[] = [{ name: "Bash", input_schema: { type: "object", properties: {} } }];
    const redacted = { type: "redacted_thinking" as const, data: "EmwKAhgBEgy3va" };
    const call = (id: string) => ({ type: "tool_use" as const, id, name: "Bash", input: {} });
    const result = (id: string) => ({
      role: "user" as const,
      content: [{ type: "tool_result" as const, tool_use_id: id, content: "a.txt" }],
    });
    const empty = { type: "thinking", thinking: "", signature: "" };
    const before = fx.fake.requests.length;
    const { data, response } = await fx.anthropic.messages
      .create({
        model: "ds-failover",
        max_tokens: 2048,
        tools,
        messages: [
          { role: "user", content: "list the files" },
          { role: "assistant", content: [redacted, call("toolu_1")] },
          result("toolu_1"),
          // A turn a chat route answered without reasoning, in a failover.
          { role: "assistant", content: [call("toolu_2")] },
          result("toolu_2"),
        ],
      })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: "text" });
    const up = await upstreamCall(before);
    const sent = up.body.messages as { content: unknown }[];
    expect([sent[1]?.content, sent[3]?.content]).toEqual([
      [empty, call("toolu_1")],
      [empty, call("toolu_2")],
    ]);
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.status, row.dropped]).toEqual([
      "provider:deepseek",
      200,
      "content.redacted_thinking",
    ]);
  });

  test("count_tokens passes through to the Anthropic route, audited as count_tokens", async () => {
    const before = fx.fake.requests.length;
    const { data, response } = await fx.anthropic.messages
      .countTokens({ model: "c1", messages: [{ role: "user", content: "count these four words" }] })
      .withResponse();
    expect(data.input_tokens).toBeGreaterThan(0);
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages/count_tokens");
    expect(up.body.model).toBe("claude-up");
    expect(up.headers["x-api-key"]).toBe(UPSTREAM_KEY);
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({ frontDoor: "count_tokens", status: 200, route: "provider:claude" });
  });
});
