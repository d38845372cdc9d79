import { describe, expect, test } from "bun:test";
import { effortLevelsOf } from "../anthropic-effort.ts";
import { asksThinking } from "../asks-thinking.ts";
import { cachePointsOf } from "./converse-cache-point.ts";
import { CLAUDE } from "./converse-claude.ts";
import { thinkingClaude } from "./converse-thinking.ts";

// Which Claude on Bedrock thinks, takes cache points and an effort level, family by family, in one table.
describe("Claude on Converse, family by family", () => {
  test.each([
    ["anthropic.claude-instant-v1", false, false, false],
    ["anthropic.claude-v2", false, false, false],
    ["anthropic.claude-v2:1", false, false, false],
    ["anthropic.claude-3-haiku-20240307-v1:0", false, false, false],
    ["anthropic.claude-3-sonnet-20240229-v1:0", false, false, false],
    ["us.anthropic.claude-3-opus-20240229-v1:0", false, false, false],
    ["anthropic.claude-3-5-sonnet-20240620-v1:0", false, false, false],
    ["anthropic.claude-3-5-sonnet-20241022-v2:0", false, false, false],
    ["us.anthropic.claude-3-5-haiku-20241022-v1:0", false, true, false],
    ["us.anthropic.claude-3-7-sonnet-20250219-v1:0", true, true, false],
    ["anthropic.claude-sonnet-4-20250514-v1:0", true, true, false],
    ["us.anthropic.claude-opus-4-20250514-v1:0", true, true, false],
    ["us.anthropic.claude-opus-4-1-20250805-v1:0", true, true, false],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", true, true, false],
    ["us.anthropic.claude-haiku-4-5-20251001-v1:0", true, true, false],
    ["global.anthropic.claude-opus-4-5-20251101-v1:0", true, true, true],
    ["us.anthropic.claude-opus-4-6-v1", true, true, true],
    ["us.anthropic.claude-sonnet-4-6", true, true, true],
    ["us.amazon.nova-pro-v1:0", false, false, false],
    ["meta.llama3-70b-instruct-v1:0", false, false, false],
  ])("%s: thinks %p, caches %p, takes an effort %p", (model, thinking, caching, effort) => {
    expect(thinkingClaude(model)).toBe(thinking);
    expect(CLAUDE.test(model) && effortLevelsOf(model).length > 0).toBe(effort);
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
