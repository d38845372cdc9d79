import { describe, expect, test } from "bun:test";
import { applyPresetQuirks, OPENAI_PRESETS } from "./presets.ts";

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

  test("no quirk, no copy", () => {
    const body = { model: "m", max_completion_tokens: 5 };
    expect(applyPresetQuirks(OPENAI_PRESETS.groq, body)).toBe(body);
    expect(applyPresetQuirks(undefined, body)).toBe(body);
  });
});
