import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { cloudGateway } from "./harness/cloud-gateway.ts";

// An Anthropic caller's `thinking` asks Gemini for its thought summaries (`includeThoughts`), which
// Google refuses of a model whose thinking is off (2.5 Flash-Lite, unless a budget turns it on:
// Vertex AI's 400 "…Thinking_config.include_thoughts is only enabled when thinking is enabled.")
// and of one that does not think (2.5 Flash Image: "Thinking is not enabled for models/…"), which is
// known by its name and sent none. Claude Code sends `thinking: {type: "adaptive"}` on every call: such a route must still answer.

const clouds = cloudGateway();
let anthropic: Anthropic;
let openai: OpenAI;
beforeAll(() => {
  ({ anthropic, openai } = clouds);
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
    const { data, dropped, sent } = await thinkingTo("vertex-flash-lite", /gemini-2\.5-flash-lite:/, {
      type: "adaptive",
    });
    expect(data.stop_reason).toBe("end_turn");
    expect(sent).toEqual([undefined]);
    // Adaptive leaves it to the model whether to think, as on Anthropic: nothing the caller asked went.
    expect(dropped).toBeNull();
  });

  test("2.5 Flash-Lite with a budget, which turns its thinking on: thoughts asked beside it", async () => {
    const { data, dropped, sent } = await thinkingTo("vertex-flash-lite", /gemini-2\.5-flash-lite:/, {
      type: "enabled",
      budget_tokens: 2048,
    });
    expect(data.content[0]).toEqual({ type: "thinking", thinking: "thinking…", signature: "" });
    expect(sent).toEqual([{ thinkingBudget: 2048, includeThoughts: true }]);
    expect(dropped).toBeNull();
  });

  test("2.5 Flash Image, which does not think, known by its name: sent no budget nor thoughts, in one call, thinking named", async () => {
    const { data, dropped, sent } = await thinkingTo("gemini-flash-image", /gemini-2\.5-flash-image:/, {
      type: "enabled",
      budget_tokens: 2048,
    });
    expect(data.stop_reason).toBe("end_turn");
    expect(data.content.map((block) => block.type)).toEqual(["text"]);
    expect(sent).toEqual([undefined]);
    expect(dropped).toBe("thinking");
  });
});

describe("a chat caller's include_reasoning (OpenRouter's) that asks nothing of the route's model", () => {
  /** The answer's dropped header for `include_reasoning: true` (and `effort`) on `model`, with the thinkingConfig sent. */
  async function includeReasoningTo(model: string, upstream: RegExp, reasoning_effort?: "none" | "low") {
    const { response } = await openai.chat.completions
      .create({
        model,
        messages: [{ role: "user", content: "think" }],
        ...(reasoning_effort ? { reasoning_effort } : {}),
        // OpenRouter's field, not in the SDK's types: sent as an extra body field.
        ...({ include_reasoning: true } as object),
      })
      .withResponse();
    const sent = JSON.parse(clouds.callsTo(upstream).at(-1)?.body ?? "{}");
    return { dropped: response.headers.get("x-mindgw-dropped"), sent: sent.generationConfig?.thinkingConfig };
  }

  test("Gemini 2.0 Flash, which does not think, and 2.5 Flash-Lite, its thinking off: nothing sent, include_reasoning named", async () => {
    expect(await includeReasoningTo("vertex-2.0-flash", /gemini-2\.0-flash:/)).toEqual({
      dropped: "include_reasoning",
      sent: undefined,
    });
    expect(await includeReasoningTo("vertex-flash-lite", /gemini-2\.5-flash-lite:/)).toEqual({
      dropped: "include_reasoning",
      sent: undefined,
    });
  });

  test("thinking turned off by the caller's own effort: nothing to show, include_reasoning named", async () => {
    expect(await includeReasoningTo("gemini-flash", /gemini-2\.5-flash:/, "none")).toEqual({
      dropped: "include_reasoning",
      sent: { thinkingBudget: 0 },
    });
  });

  test("a model that shows its thoughts: asked, nothing named", async () => {
    expect(await includeReasoningTo("gemini-flash", /gemini-2\.5-flash:/)).toEqual({
      dropped: null,
      sent: { includeThoughts: true },
    });
    expect(await includeReasoningTo("vertex-flash-lite", /gemini-2\.5-flash-lite:/, "low")).toEqual({
      dropped: null,
      sent: { thinkingBudget: 1024, includeThoughts: true },
    });
  });
});

describe("a Responses caller's reasoning.summary (the Agents SDK's, Codex's) on a Gemini route", () => {
  /** The response to `reasoning` on `model`, with its dropped header and the thinkingConfig sent. */
  async function summaryTo(model: string, upstream: RegExp, reasoning: OpenAI.Reasoning, stream = false) {
    const ask = { model, input: "think", reasoning };
    const { data, response } = stream
      ? { data: await openai.responses.stream(ask).finalResponse(), response: undefined }
      : await openai.responses.create(ask).withResponse();
    const sent = JSON.parse(clouds.callsTo(upstream).at(-1)?.body ?? "{}");
    const summaries = data.output.flatMap((item) =>
      item.type === "reasoning" ? item.summary.map((part) => part.text) : [],
    );
    return {
      summaries,
      dropped: response?.headers.get("x-mindgw-dropped") ?? null,
      sent: sent.generationConfig?.thinkingConfig,
    };
  }

  test("asks for Gemini's thought summaries, which come back as the reasoning item's summary, whole and streamed; nothing named", async () => {
    expect(await summaryTo("gemini-flash", /gemini-2\.5-flash:/, { summary: "auto" })).toEqual({
      summaries: ["thinking…"],
      dropped: null,
      sent: { includeThoughts: true },
    });
    expect(
      await summaryTo(
        "vertex-flash-lite",
        /gemini-2\.5-flash-lite:/,
        { effort: "low", summary: "detailed" },
        true,
      ),
    ).toEqual({
      summaries: ["thinking…"],
      dropped: null,
      sent: { thinkingBudget: 1024, includeThoughts: true },
    });
    // Without a summary asked, none is, as before.
    expect(await summaryTo("gemini-flash", /gemini-2\.5-flash:/, { effort: "low" })).toEqual({
      summaries: [],
      dropped: null,
      sent: { thinkingBudget: 1024 },
    });
  });

  test("a model that does not think, or whose thinking is off: nothing asked, reasoning.summary named", async () => {
    expect(await summaryTo("vertex-2.0-flash", /gemini-2\.0-flash:/, { summary: "auto" })).toEqual({
      summaries: [],
      dropped: "reasoning.summary",
      sent: undefined,
    });
    expect(await summaryTo("vertex-flash-lite", /gemini-2\.5-flash-lite:/, { summary: "concise" })).toEqual({
      summaries: [],
      dropped: "reasoning.summary",
      sent: undefined,
    });
  });
});
