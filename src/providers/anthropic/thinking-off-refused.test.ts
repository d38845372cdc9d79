import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { effortUpstream } from "./testing/effort-upstream.ts";

// Claude Sonnet 5.5 takes `thinking: {type: "adaptive"}` (its default) or `{type: "between_tools"}`;
// `{type: "disabled"}` is Anthropic's 400 at any effort ("What's new in Claude Sonnet 5.5": Turn off
// up-front thinking, https://platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5), as
// it is on Opus 5.5 and Fable 5.1, which always think ("What's new in Claude Opus 5.5").
// It was sent as written, for that 400 (a chat caller's `thinking`, a Messages caller's): now the
// caller's 400, in its own dialect and naming what the model takes instead, with nothing sent.
// Through the gateway on loopback and the official OpenAI and Anthropic SDKs, to an upstream that
// judges thinking and effort per model in Anthropic's words (testing/effort-upstream.ts).
const upstream = effortUpstream();
const { sent } = upstream;

/** The official Anthropic SDK on the same gateway as `upstream.openai`. */
const anthropic = () =>
  new Anthropic({
    baseURL: upstream.openai.baseURL.replace(/\/v1$/, ""),
    apiKey: upstream.openai.apiKey,
    maxRetries: 0,
  });

const SAYS = 'thinking.type is "disabled", which claude-sonnet-5-5 does not take';
/**
 * Anthropic's own sentence for this 400 ("What's new in Claude Opus 5.5", its error messages),
 * which the refusal starts with so that a client matching on it reads it as Claude's; the
 * gateway's hint follows.
 */
const WORDS =
  '"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.';
const said = (hint: string) =>
  expect.stringMatching(new RegExp(`^${RegExp.escape(WORDS)} .*${RegExp.escape(hint)}`));

describe("Sonnet 5.5 with thinking disabled", () => {
  test("a Messages caller's: Anthropic's invalid_request_error, naming between_tools, nothing sent", async () => {
    const before = sent.length;
    const call = anthropic().messages.create({
      model: "claude-sonnet-5-5",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
      thinking: { type: "disabled" },
    });
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const { status, error: body } = error as InstanceType<typeof Anthropic.BadRequestError>;
    expect(status).toBe(400);
    expect(body).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: said("between_tools") },
    });
    expect(sent.length).toBe(before);
  });

  test.each([
    ["claude-sonnet-5-5", SAYS],
    ["claude-opus-5-5", "always thinks adaptively"],
    ["claude-fable-5-1", "always thinks adaptively"],
  ])("a chat caller's, to %s: the OpenAI 400 on thinking.type, nothing sent", async (model, says) => {
    const before = sent.length;
    const call = upstream.openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "hi" }],
      thinking: { type: "disabled" },
    } as never);
    await expect(call.withResponse()).rejects.toMatchObject({
      status: 400,
      param: "thinking.type",
      error: { message: said(says) },
    });
    expect(sent.length).toBe(before);
  });

  test("between_tools and adaptive go as written; disabled to Sonnet 5 too", async () => {
    const before = sent.length;
    const client = anthropic();
    const ask = (model: string, type: "between_tools" | "adaptive" | "disabled") =>
      client.messages.create({
        model,
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
        thinking: { type } as Anthropic.ThinkingConfigParam,
      });
    await ask("claude-sonnet-5-5", "between_tools");
    await ask("claude-sonnet-5-5", "adaptive");
    await ask("claude-opus-5", "disabled");
    expect(sent.slice(before).map((body) => [body.model, body.thinking?.type])).toEqual([
      ["claude-sonnet-5-5", "between_tools"],
      ["claude-sonnet-5-5", "adaptive"],
      ["claude-opus-5", "disabled"],
    ]);
  });
});
