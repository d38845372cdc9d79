import { describe, expect, test } from "bun:test";
import { createOpenAICompatibleProvider } from "./openai-compatible-provider.ts";
import {
  applyPresetQuirks,
  OPENAI_PRESETS,
  type OpenAIPresetName,
  presetOf,
  withLegacyMaxTokens,
} from "./presets.ts";

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

  test("Mistral's API is known by its host alone, where no preset: is given; no other host, and a preset of its own wins", () => {
    expect(presetOf({ base_url: "https://api.mistral.ai/v1" })).toBe("mistral");
    expect(presetOf({ base_url: "https://api.mistral.ai/v1", preset: "groq" })).toBe("groq");
    for (const base_url of [
      "https://mistral.example.com/v1",
      "https://eu.api.mistral.ai/v1",
      "http://127.0.0.1:8000/v1",
      "https://constructor/v1",
      "not a url",
      undefined,
    ])
      expect(presetOf({ base_url })).toBeUndefined();
  });
});
