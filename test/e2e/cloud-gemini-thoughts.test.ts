import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { cloudGateway } from "./harness/cloud-gateway.ts";

// An Anthropic caller's `thinking` asks Gemini for its thought summaries (`includeThoughts`), which
// Google refuses of a model whose thinking is off (2.5 Flash-Lite, unless a budget turns it on:
// Vertex AI's 400 "…Thinking_config.include_thoughts is only enabled when thinking is enabled.")
// and of one that does not think (2.5 Flash Image: "Thinking is not enabled for models/…"). Claude
// Code sends `thinking: {type: "adaptive"}` on every call: such a route must still answer.

const clouds = cloudGateway();
let anthropic: Anthropic;
beforeAll(() => {
  ({ anthropic } = clouds);
});

/** The caller's answer to `thinking` on `model`, and each `thinkingConfig` sent upstream for it. */
async function thinkingTo(model: string, upstream: RegExp, thinking: Anthropic.ThinkingConfigParam) {
  const before = clouds.callsTo(upstream).length;
  const { data, response } = await anthropic.messages
    .create({ model, max_tokens: 4096, thinking, messages: [{ role: "user", content: "think" }] })
    .withResponse();
  const sent = clouds
    .callsTo(upstream)
    .slice(before)
    .map((call) => JSON.parse(call.body).generationConfig?.thinkingConfig);
  return { data, dropped: response.headers.get("x-mindgw-dropped"), sent };
}

describe("thoughts asked of a Gemini model whose thinking is off, or that does not think", () => {
  test("2.5 Flash-Lite (Vertex AI), adaptive thinking: answered, not asked for thoughts it would refuse", async () => {
    const { data, sent } = await thinkingTo("vertex-flash-lite", /gemini-2\.5-flash-lite:/, {
      type: "adaptive",
    });
    expect(data.stop_reason).toBe("end_turn");
    expect(sent).toEqual([undefined]);
  });

  test("2.5 Flash-Lite with a budget, which turns its thinking on: thoughts asked beside it", async () => {
    const { data, dropped, sent } = await thinkingTo("vertex-flash-lite", /gemini-2\.5-flash-lite:/, {
      type: "enabled",
      budget_tokens: 2048,
    });
    expect(data.content[0]).toEqual({ type: "thinking", thinking: "thinking…", signature: "" });
    expect(sent).toEqual([{ thinkingBudget: 1024, includeThoughts: true }]);
    expect(dropped).toBeNull();
  });

  test("2.5 Flash Image, which does not think, refuses the budget and the thoughts: sent again without both, thinking named", async () => {
    const { data, dropped, sent } = await thinkingTo("gemini-flash-image", /gemini-2\.5-flash-image:/, {
      type: "enabled",
      budget_tokens: 2048,
    });
    expect(data.stop_reason).toBe("end_turn");
    expect(data.content.map((block) => block.type)).toEqual(["text"]);
    expect(sent).toEqual([{ thinkingBudget: 1024, includeThoughts: true }, undefined]);
    expect(dropped).toBe("thinking");
  });
});
