import { describe, expect, test } from "bun:test";
import { effortUnsent, takesThinkingBudget, thinkingConfig } from "./thinking-config.ts";

// Thoughts asked for without an effort (an Anthropic caller's adaptive `thinking`, chat's
// `include_reasoning` alone): `includeThoughts` on its own goes only to a model that thinks unasked.

describe("thinkingConfig: thoughts asked for without an effort", () => {
  const alone = (model: string) => thinkingConfig(model, undefined, true);

  test("a model that thinks unasked (2.5 Flash and Pro, Gemini 3 and later, its Flash-Lite and image models too): includeThoughts alone", () => {
    for (const model of [
      "gemini-2.5-flash",
      "gemini-2.5-pro",
      "gemini-3-flash-preview",
      "gemini-3.1-flash-lite-preview",
      "gemini-3-pro-image-preview",
    ])
      expect(alone(model)).toEqual({ includeThoughts: true });
  });

  test("2.5 Flash-Lite, whose thinking is off unless a budget turns it on, and the image and TTS models, which do not think: nothing", () => {
    // Vertex AI: 400 "Thinking_config.include_thoughts is only enabled when thinking is enabled.";
    // the others: "Thinking is not enabled for models/…".
    for (const model of [
      "gemini-2.5-flash-lite",
      "gemini-2.5-flash-lite-preview-09-2025",
      "gemini-2.5-flash-image",
      "gemini-2.5-flash-image-preview",
      "gemini-2.5-flash-preview-tts",
      "gemini-2.5-pro-preview-tts",
      "gemini-3.1-flash-tts-preview",
    ])
      expect(alone(model)).toBeUndefined();
  });

  test("2.5 Flash-Lite with an effort, whose budget turns its thinking on: thoughts asked beside it", () => {
    expect(thinkingConfig("gemini-2.5-flash-lite", "low", true)).toEqual({
      thinkingBudget: 1024,
      includeThoughts: true,
    });
  });
});

describe("thinkingConfig: a model that does not think, known by its name", () => {
  test("before 2.5, the 2.x image and the TTS models: no config at any effort, thoughts asked or not (each would be refused, then sent again)", () => {
    for (const model of [
      "gemini-2.0-flash",
      "gemini-1.5-pro",
      "gemini-2.5-flash-image",
      "gemini-2.0-flash-preview-image-generation",
      "gemini-2.5-flash-preview-tts",
      "gemini-3.1-flash-tts-preview",
    ])
      for (const effort of ["none", "low", "high"]) {
        expect(thinkingConfig(model, effort, true)).toBeUndefined();
        expect(thinkingConfig(model, effort, false, 2000)).toBeUndefined();
      }
  });

  test("models asked in turn are each judged by their own name (the last answer is remembered, not reused for another)", () => {
    for (let round = 0; round < 2; round++) {
      expect(effortUnsent("gemini-2.0-flash", "low")).toBe(true);
      expect(effortUnsent("gemini-2.5-flash", "low")).toBe(false);
      expect(takesThinkingBudget("gemini-2.5-flash")).toBe(true);
      expect(takesThinkingBudget("gemini-2.5-flash-preview-tts")).toBe(false);
      expect(thinkingConfig("gemini-2.5-flash", "low")).toEqual({ thinkingBudget: 1024 });
      expect(thinkingConfig("gemini-1.5-pro", "low")).toBeUndefined();
    }
  });

  test("Gemini 3's image models think: their level goes", () => {
    expect(thinkingConfig("gemini-3-pro-image-preview", "low")).toEqual({ thinkingLevel: "low" });
  });
});
