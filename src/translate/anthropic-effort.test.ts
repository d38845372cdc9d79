import { describe, expect, test } from "bun:test";
import { claudeEffort, effortLevelsOf } from "./anthropic-effort.ts";
import { claudeVersion } from "./claude-version.ts";

// The one table of the levels each Claude takes, read by the Anthropic and Converse routes. Both
// readers remember the last name they read (a route's calls name one model); a call for another
// model in between must not be answered from it.
describe("effort levels by model", () => {
  test.each([
    ["claude-opus-4-7", ["low", "medium", "high", "xhigh", "max"]],
    ["claude-opus-4-6", ["low", "medium", "high", "max"]],
    ["claude-mythos-preview", ["low", "medium", "high", "max"]],
    ["claude-opus-4-5-20251101", ["low", "medium", "high"]],
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", []],
    ["anthropic.claude-v2:1", []],
    ["their-claude", ["low", "medium", "high", "xhigh", "max"]],
    // Names another vendor's Anthropic-compatible API writes with a dot (OpenRouter's ids).
    ["anthropic/claude-opus-4.6", ["low", "medium", "high", "max"]],
    ["claude-opus-4.7", ["low", "medium", "high", "xhigh", "max"]],
    ["claude-opus-4.5", ["low", "medium", "high"]],
    ["anthropic/claude-3.5-sonnet", []],
  ])("%s takes %p", (model, levels) => {
    expect(effortLevelsOf(model)).toEqual(levels);
  });

  test("asked in turn of models that differ, each is answered as its own", () => {
    const models = ["claude-opus-4-6", "claude-haiku-4-5", "claude-opus-4-6", "claude-opus-5"];
    expect(models.map((model) => claudeEffort("xhigh", model))).toEqual(["high", undefined, "high", "xhigh"]);
    expect(models.map((model) => claudeVersion(model)?.minor)).toEqual([6, 5, 6, 0]);
    expect(claudeVersion("gpt-4o")).toBeUndefined();
    expect(claudeVersion("claude-3-7-sonnet-20250219")).toEqual({ family: "sonnet", major: 3, minor: 7 });
  });
});
