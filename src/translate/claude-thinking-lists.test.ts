import { describe, expect, test } from "bun:test";
import { claudeThinkingRefusals } from "./claude-thinking-refusals.ts";
import { extendedOnlyClaude } from "./extended-only-claude.ts";

// The two model lists the thinking refusals read (thinking-type-refused.ts, forced-tool-refused.ts),
// by every cloud's and proxy's spelling of a name: Anthropic's API, Bedrock's model ids and
// inference profiles, Vertex AI's `@` versions, OpenRouter's dotted and Claude 3 order names.

describe("claudeThinkingRefusals: what a Claude's thinking refuses", () => {
  test.each([
    "claude-opus-4-6",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "claude-3-7-sonnet-20250219",
    "deepseek-reasoner",
    "their-claude",
  ])("%s: nothing (it takes a manual budget, or is no Claude)", (model) => {
    expect(claudeThinkingRefusals(model)).toBeUndefined();
  });

  test.each([
    "claude-opus-4-7",
    "anthropic/claude-opus-4.7",
    "anthropic/claude-4.7-opus",
    "claude-opus-4-8@20260528",
    "us.anthropic.claude-sonnet-5",
    // Claude 4.7 and later, by the version: one no page names yet too.
    "claude-opus-6",
    "claude-sonnet-6-1",
  ])("%s: a budget alone (thinking off and a forced call taken)", (model) => {
    expect(claudeThinkingRefusals(model)).toEqual({ refusesForcedCall: false });
  });

  test.each(["claude-mythos-preview", "anthropic.claude-mythos-preview", "claude-mythos-preview@20260407"])(
    "%s: thinking off refused; its budget and a forced call left to its upstream",
    (model) => {
      const refuses = claudeThinkingRefusals(model);
      expect(refuses?.alwaysThinks).toContain("or a small manual budget");
      expect(refuses?.refusesForcedCall).toBe(false);
      expect(refuses?.takesBudget).toBe(true);
    },
  );

  test.each([
    ["claude-fable-5", false],
    ["us.anthropic.claude-mythos-5", false],
    ["global.anthropic.claude-fable-5-1", true],
    ["claude-opus-5-5", true],
  ] as const)("%s: a budget and thinking off; a forced call refused: %p", (model, forced) => {
    const refuses = claudeThinkingRefusals(model);
    expect(refuses?.alwaysThinks).toContain("always thinks adaptively");
    expect(refuses?.refusesForcedCall).toBe(forced);
    expect(refuses?.takesBudget).toBeUndefined();
  });

  test("claude-sonnet-5-5: thinking off refused, between_tools named in its place", () => {
    expect(claudeThinkingRefusals("claude-sonnet-5-5")).toEqual({
      alwaysThinks: expect.stringContaining("between_tools"),
      refusesForcedCall: true,
    });
  });
});

describe("extendedOnlyClaude: Claude 4.5 and earlier that think, which refuse adaptive", () => {
  test.each([
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-5",
    "claude-haiku-4-5-20251001",
    "us.anthropic.claude-opus-4-1-20250805-v1:0",
    "claude-sonnet-4-20250514",
    "claude-opus-4-20250514",
    "anthropic.claude-3-7-sonnet-20250219-v1:0",
    "claude-sonnet-4-5@20250929",
    "anthropic/claude-sonnet-4.5",
  ])("%s: refuses adaptive", (model) => {
    expect(extendedOnlyClaude(model)).toBe(true);
  });

  test.each([
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-opus-4-7",
    "claude-opus-5",
    "claude-mythos-preview",
    // No thinking at all: left to the upstream, whose 400 is about thinking, not its type.
    "claude-3-5-sonnet-20240620",
    "claude-3-haiku-20240307",
    "deepseek-reasoner",
  ])("%s: takes adaptive, or is left to its upstream", (model) => {
    expect(extendedOnlyClaude(model)).toBe(false);
  });
});
