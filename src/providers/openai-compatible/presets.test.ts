import { describe, expect, test } from "bun:test";
import { createOpenAICompatibleProvider } from "./openai-compatible-provider.ts";
import { applyPresetQuirks, OPENAI_PRESETS, type OpenAIPresetName, withLegacyMaxTokens } from "./presets.ts";

describe("OpenAI-compatible presets", () => {
  test("a server that only knows max_tokens gets it; the body is otherwise untouched", () => {
    const body = { model: "m", messages: [], max_completion_tokens: 100, extra: { kept: true } };
    expect(applyPresetQuirks(OPENAI_PRESETS.mistral, body)).toEqual({
      model: "m",
      messages: [],
      max_tokens: 100,
      extra: { kept: true },
    });
  });

  test("a max_tokens the body already has wins; without max_completion_tokens, no copy", () => {
    expect(withLegacyMaxTokens({ max_tokens: 7, max_completion_tokens: 100 })).toEqual({ max_tokens: 7 });
    const plain = { model: "m", max_tokens: 5 };
    expect(withLegacyMaxTokens(plain)).toBe(plain);
  });

  test("no quirk, no copy", () => {
    const body = { model: "m", max_completion_tokens: 5 };
    expect(applyPresetQuirks(OPENAI_PRESETS.groq, body)).toBe(body);
    expect(applyPresetQuirks(undefined, body)).toBe(body);
  });

  test("only DeepSeek's provider wants its reasoning back (its thinking mode refuses a tool-call turn without it)", () => {
    const wants = (preset?: OpenAIPresetName) =>
      createOpenAICompatibleProvider({
        name: "p",
        baseUrl: "http://127.0.0.1:1/v1",
        ...(preset ? { preset: OPENAI_PRESETS[preset] } : {}),
      }).wantsReasoningBack === true;
    expect((Object.keys(OPENAI_PRESETS) as OpenAIPresetName[]).filter((name) => wants(name))).toEqual([
      "deepseek",
    ]);
    expect(wants()).toBe(false);
  });
});
