import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { cloudGateway } from "./harness/cloud-gateway.ts";

// An Anthropic caller's `thinking: {type: "disabled"}` on a Gemini route: Gemini 2.5 Flash thinks
// unless told not to (and bills it), so the translation turns its thinking off, or, on a model
// that only works in thinking mode, asks for its least; an OpenAI-shaped upstream is sent no effort.

const clouds = cloudGateway();
let anthropic: Anthropic;
beforeAll(() => {
  ({ anthropic } = clouds);
});

/** The `thinkingConfig` the last call to `model` upstream carried, with the caller's answer. */
async function thinkingOffTo(model: string, upstream: RegExp) {
  const { data, response } = await anthropic.messages
    .create({
      model,
      max_tokens: 256,
      thinking: { type: "disabled" },
      messages: [{ role: "user", content: "just answer" }],
    })
    .withResponse();
  const sent = JSON.parse(clouds.callsTo(upstream).at(-1)?.body ?? "{}");
  return { data, dropped: response.headers.get("x-mindgw-dropped"), sent };
}

describe("thinking disabled by an Anthropic caller, on routes through chat", () => {
  test("Gemini 2.5 Flash (Gemini API and Vertex AI): thinkingBudget 0, nothing dropped", async () => {
    for (const model of ["gemini-flash", "vertex-flash"]) {
      const { data, dropped, sent } = await thinkingOffTo(model, /gemini-2\.5-flash:generateContent$/);
      expect(data.stop_reason).toBe("end_turn");
      expect(dropped).toBeNull();
      expect(sent.generationConfig.thinkingConfig).toEqual({ thinkingBudget: 0 });
    }
  });

  test("Gemini 2.0 Flash, which does not think (Vertex AI refuses any thinking config): none sent", async () => {
    const { data, dropped, sent } = await thinkingOffTo(
      "vertex-2.0-flash",
      /gemini-2\.0-flash:generateContent$/,
    );
    expect(data.stop_reason).toBe("end_turn");
    expect(dropped).toBeNull();
    expect(sent.generationConfig?.thinkingConfig).toBeUndefined();
  });

  test("Gemini 3: Flash's least level (minimal); 3 Pro, which cannot stop thinking, its least (low)", async () => {
    const flash = await thinkingOffTo("gemini-3-flash", /gemini-3-flash-preview:generateContent$/);
    expect(flash.sent.generationConfig.thinkingConfig).toEqual({ thinkingLevel: "minimal" });
    const pro = await thinkingOffTo("gemini-3-pro", /gemini-3-pro-preview:generateContent$/);
    expect(pro.data.stop_reason).toBe("end_turn");
    expect(pro.sent.generationConfig.thinkingConfig).toEqual({ thinkingLevel: "low" });
  });

  test("an OpenAI-shaped upstream (Azure OpenAI) is sent no reasoning_effort: its models differ in how, or whether, they stop", async () => {
    const { data, dropped, sent } = await thinkingOffTo("azure-4o", /\/chat\/completions$/);
    expect(data.stop_reason).toBe("end_turn");
    expect(dropped).toBeNull();
    expect(sent.reasoning_effort).toBeUndefined();
  });
});
