import { describe, expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { jsonFixture } from "../fixtures/load-fixture.ts";
import { estimateInputTokens } from "./count-tokens-estimate.ts";

describe("count_tokens estimate", () => {
  test("counts system, turns, tool calls and results, and tool definitions with o200k_base", async () => {
    const base = { model: "m", messages: [{ role: "user", content: "Hello, world!" }] };
    expect(await estimateInputTokens(base)).toEqual({ input_tokens: 4 + 3 });
    const more = await estimateInputTokens({
      ...base,
      system: [{ type: "text", text: "Be brief." }],
      messages: [
        ...base.messages,
        { role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: { a: 1 } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "42" }] },
      ],
      tools: [{ name: "f", description: "F", input_schema: { type: "object" } }],
    });
    expect((more.input_tokens as number) > 7 + 9).toBe(true);
  });

  test("an image counts the same wherever it is, never its base64 as text", async () => {
    const image = {
      type: "image",
      source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=".repeat(5000) },
    };
    const alone = await estimateInputTokens({ model: "m", messages: [{ role: "user", content: [image] }] });
    expect(alone).toEqual({ input_tokens: 3 + 1600 });
    const inResult = await estimateInputTokens({
      model: "m",
      messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [image] }] }],
    });
    expect(inResult).toEqual({ input_tokens: 3 + 1600 });
  });

  test("a PDF counts a page's figure, never 0 nor its base64; a text document counts its text", async () => {
    const pdf = {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjcK".repeat(5000) },
    };
    expect(await estimateInputTokens({ model: "m", messages: [{ role: "user", content: [pdf] }] })).toEqual({
      input_tokens: 3 + 2300,
    });
    const text = {
      type: "document",
      title: "Notes",
      source: { type: "text", media_type: "text/plain", data: "Hello, world!" },
    };
    const counted = await estimateInputTokens({ model: "m", messages: [{ role: "user", content: [text] }] });
    // The turn, the title and its line, the text.
    expect(counted).toEqual({ input_tokens: 3 + 2 + 4 });
  });

  test("an earlier turn's thinking counts only where the route is sent it (an upstream that wants its reasoning back)", async () => {
    const turns = (assistant: unknown[]) => ({
      model: "m",
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: assistant },
        { role: "user", content: "next" },
      ],
    });
    const thinking = { type: "thinking", thinking: "word ".repeat(1000), signature: "s" };
    const text = { type: "text", text: "a" };
    const without = await estimateInputTokens(turns([text]));
    // A chat route is sent no thinking (messages-request-to-chat.ts), and Anthropic counts none of an earlier turn's.
    expect(await estimateInputTokens(turns([thinking, text]))).toEqual(without);
    expect(
      await estimateInputTokens(turns([{ type: "redacted_thinking", data: "x".repeat(4000) }, text])),
    ).toEqual(without);
    const read = await estimateInputTokens(turns([thinking, text]), true);
    expect((read.input_tokens as number) - (without.input_tokens as number)).toBeGreaterThanOrEqual(1000);
  });

  test("Claude Code's real request is estimated, not refused", async () => {
    const recorded = jsonFixture("clients/claude-code-2.1.328-default.json").body as Record<string, unknown>;
    const { input_tokens } = await estimateInputTokens(recorded);
    expect(input_tokens as number).toBeGreaterThan(5000);
  });

  test("a body without messages is the caller's 400", async () => {
    await expect(estimateInputTokens({ model: "m" })).rejects.toBeInstanceOf(GatewayError);
  });
});
