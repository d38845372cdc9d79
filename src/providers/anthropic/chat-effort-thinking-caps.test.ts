import { describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { effortUpstream } from "./testing/effort-upstream.ts";

// A chat caller's `reasoning_effort` toward the Claude models that cap it by thinking, through the
// gateway on loopback and the official OpenAI SDK, to an upstream that judges the level per model
// in Anthropic's words (chat-effort-levels.test.ts: the levels each model takes).
const upstream = effortUpstream();
const { sent, ask, sentSince } = upstream;

// Opus 5 and Haiku 5.5 take xhigh and max only with thinking on: "thinking: {type: "disabled"}" is
// accepted at effort high or below, else a 400 (Anthropic's Opus 5 migration guide, Breaking
// changes; "Prompting Claude Haiku 5.5"); Sonnet 5.5's `between_tools` alike ("What's new in Claude
// Sonnet 5.5"). Asked with thinking so, high goes at once, thinking as it was, and the field is
// named; before, the level asked went first, for that 400 and a second call (Sonnet 5.5's: the
// caller's 400, its words matching none the gateway mends by).
describe("Opus 5 and later (Haiku 5.5, a 6.x) with thinking disabled, Sonnet 5.5 with thinking between_tools", () => {
  test.each([
    ["claude-opus-5", "xhigh", "disabled"],
    ["claude-opus-5", "max", "disabled"],
    ["claude-haiku-5-5", "xhigh", "disabled"],
    ["claude-haiku-5-5", "max", "disabled"],
    ["claude-sonnet-5-5", "xhigh", "between_tools"],
    ["claude-sonnet-5-5", "max", "between_tools"],
    // "Opus 5 and later models" (the "Troubleshooting thinking" table), read by the version: Claudes
    // no page names yet are capped too.
    ["claude-opus-6", "xhigh", "disabled"],
    ["claude-sonnet-6-1", "max", "disabled"],
  ])("%s, %s, thinking %s: sent high at once, thinking as it was, named", async (model, asked, type) => {
    const before = sent.length;
    const { data, response } = await ask(model, asked, { thinking: { type } });
    expect(data.choices[0]?.message.content).toBe("Hello! How can I help you today?");
    expect(sentSince(before)).toEqual(["high"]);
    expect(sent.at(-1)?.thinking).toEqual({ type });
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });

  test("Sonnet 5.5 with thinking on (adaptive, or none sent): xhigh goes once as asked", async () => {
    const before = sent.length;
    await ask("claude-sonnet-5-5", "xhigh", { thinking: { type: "adaptive" } });
    await ask("claude-sonnet-5-5", "max");
    expect(sentSince(before)).toEqual(["xhigh", "max"]);
  });

  test("streamed alike: high at once, the field named in the stream's headers", async () => {
    const before = sent.length;
    const { data: stream, response } = await upstream.openai.chat.completions
      .create({
        model: "claude-opus-5",
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: "xhigh",
        stream: true,
        thinking: { type: "disabled" },
      } as never)
      .withResponse();
    let text = "";
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>)
      text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello! How can I help you today?");
    expect(sentSince(before)).toEqual(["high"]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning_effort");
  });

  test("Sonnet 5, before Opus 5 (the table rejects its enabled alone): xhigh disabled goes as asked", async () => {
    const before = sent.length;
    const { response } = await ask("claude-sonnet-5", "xhigh", { thinking: { type: "disabled" } });
    expect(sentSince(before)).toEqual(["xhigh"]);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
  });

  test("high and below go as asked, nothing named", async () => {
    const before = sent.length;
    const { response } = await ask("claude-opus-5", "high", { thinking: { type: "disabled" } });
    expect(sentSince(before)).toEqual(["high"]);
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
  });

  test("with thinking on, xhigh goes once as asked", async () => {
    const before = sent.length;
    await ask("claude-opus-5", "xhigh", { thinking: { type: "adaptive" } });
    expect(sentSince(before)).toEqual(["xhigh"]);
  });
});
