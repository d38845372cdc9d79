import { describe, expect, test } from "bun:test";
import { asksThinking } from "../asks-thinking.ts";
import { cachePointsOf } from "./converse-cache-point.ts";
import { thinkingClaude } from "./converse-thinking.ts";

// Which Claude on Bedrock thinks and takes cache points, family by family, as one table says both.
describe("Claude on Converse, family by family", () => {
  test.each([
    ["anthropic.claude-instant-v1", false, false],
    ["anthropic.claude-v2", false, false],
    ["anthropic.claude-v2:1", false, false],
    ["anthropic.claude-3-haiku-20240307-v1:0", false, false],
    ["anthropic.claude-3-sonnet-20240229-v1:0", false, false],
    ["us.anthropic.claude-3-opus-20240229-v1:0", false, false],
    ["anthropic.claude-3-5-sonnet-20240620-v1:0", false, false],
    ["anthropic.claude-3-5-sonnet-20241022-v2:0", false, false],
    ["us.anthropic.claude-3-5-haiku-20241022-v1:0", false, true],
    ["us.anthropic.claude-3-7-sonnet-20250219-v1:0", true, true],
    ["anthropic.claude-sonnet-4-20250514-v1:0", true, true],
    ["global.anthropic.claude-opus-4-5-20251101-v1:0", true, true],
    ["us.amazon.nova-pro-v1:0", false, false],
    ["meta.llama3-70b-instruct-v1:0", false, false],
  ])("%s: thinks %p, caches %p", (model, thinking, caching) => {
    expect(thinkingClaude(model)).toBe(thinking);
    expect(cachePointsOf(model)).toEqual({ prompt: caching || model.includes("nova"), tools: caching });
  });

  test("a request thinks unless it sends none (null, {}) or turns it off", () => {
    expect(asksThinking(undefined)).toBe(false);
    expect(asksThinking(null)).toBe(false);
    expect(asksThinking({})).toBe(false);
    expect(asksThinking({ type: "disabled" })).toBe(false);
    expect(asksThinking({ type: "enabled", budget_tokens: 1024 })).toBe(true);
    expect(asksThinking({ type: "adaptive" })).toBe(true);
  });
});
