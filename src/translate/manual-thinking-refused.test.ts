import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type ClaudeCloud, onCloud, perCloud, refusal } from "../testing/claude-clouds.ts";
import { claudeJudgingThinking, refusedBeforeSending } from "../testing/claude-judging-thinking.ts";

// Manual extended thinking, thinking: {type: "enabled", budget_tokens: N}, is a 400 from Claude 4.7
// and later (Anthropic's "Extended thinking": "Claude 4.7 and later models do not support it and
// reject requests that use it"; the words as "What's new in Claude Opus 5.5" and users quote them).
// It was sent as written for that 400 (a chat caller's thinking, a Messages caller's), and the
// model's next route was not tried. Now refused before anything is sent, as thinking off is: the
// caller's 400 in its own dialect naming thinking.type and what the model takes; the route's
// refusal, so the model's next route is tried. Through the gateway on loopback and the official
// OpenAI and Anthropic SDKs, to one upstream serving Anthropic's API, Bedrock's InvokeModel and its
// Converse, each judging thinking per model as Claude does. Claude Mythos Preview, which always
// thinks, was in no list: its `disabled`, a 400 by both Anthropic's and AWS's pages, was sent for it;
// now refused as the other always-thinking Claudes' is, its budget (taken, by Anthropic's) as written.

/** Claude 4.7 and later, by any cloud's name for them (the upstream's own list, not the gateway's). */
const REFUSES_BUDGET = /claude-(opus-4-[78]|opus-5|sonnet-5|haiku-5-5|fable-5|mythos-5)/;
const WORDS =
  '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.';
/**
 * The Claudes that always think, which answer `disabled` with a 400 (Anthropic's "Troubleshooting
 * thinking" table: Fable 5 and 5.1, Mythos 5 and 5.1, Mythos Preview; "What's new in Claude Sonnet
 * 5.5" and "… Opus 5.5"), by the upstream's own rule.
 */
const REFUSES_OFF = /claude-(sonnet-5-5|opus-5-5|fable-5|mythos-5|mythos-preview)/;
const OFF_WORDS =
  '"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.';

/** Claude's 400 words for `thinking` of `type` to `model`, or undefined when it takes it. */
const refusedWith = (model: string, type: unknown) =>
  REFUSES_BUDGET.test(model) && type === "enabled"
    ? WORDS
    : REFUSES_OFF.test(model) && type === "disabled"
      ? OFF_WORDS
      : undefined;

/** Anthropic's API, Bedrock's InvokeModel, Bedrock's Converse. */
const CLOUDS: readonly ClaudeCloud[] = ["an", "bi", "bc"];
/** Claude 4.7 and later, by their Anthropic API names; Bedrock's are `us.anthropic.` and these. */
const REFUSING = [
  "claude-opus-4-7",
  "claude-opus-4-8",
  "claude-opus-5",
  "claude-sonnet-5",
  "claude-haiku-5-5",
];
/** Always-thinking ones, whose `disabled` is refused too. */
const ALWAYS = ["claude-sonnet-5-5", "claude-opus-5-5", "claude-fable-5", "claude-mythos-5-1"];
const TAKING = ["claude-opus-4-6", "claude-sonnet-4-5"];
/** A budget and adaptive thinking, always on: `disabled` alone refused (no version in its name). */
const PREVIEW = "claude-mythos-preview";
const BUDGET = { type: "enabled", budget_tokens: 1024 } as const;

const callers = claudeJudgingThinking(
  refusedWith,
  [
    ...perCloud(CLOUDS, [...REFUSING, ...ALWAYS, ...TAKING, PREVIEW]),
    // Opus 4.7 first, Opus 4.6 (which takes a budget) after it, on another cloud.
    {
      name: "opus-4-7-then-4-6",
      routes: [
        { provider: "an", model: "claude-opus-4-7" },
        { provider: "bc", model: "us.anthropic.claude-opus-4-6" },
      ],
    },
  ],
  BUDGET,
);
const { sent, chat, message, anthropic } = callers;

const EVERY = CLOUDS.flatMap((cloud) => [...REFUSING, ...ALWAYS].map((model) => `${cloud}-${model}`));
const SAYS = 'it takes no manual thinking budget: ask for {"type": "adaptive"} and set output_config.effort';
/**
 * The refusal starts with Anthropic's own sentence, which its "Extended thinking" page tells clients
 * to match on (a 400 whose message starts with it means: use adaptive), then the gateway's hint.
 */
const SAID = expect.stringMatching(new RegExp(`^${RegExp.escape(WORDS)} .*${RegExp.escape(SAYS)}`));

describe("a manual thinking budget toward Claude 4.7 and later", () => {
  refusedBeforeSending(callers, EVERY, SAID);

  test.each(CLOUDS)("to Opus 4.6 and Sonnet 4.5 on %s, which take it: sent as written", async (cloud) => {
    const before = sent.length;
    for (const model of TAKING) {
      await message(`${cloud}-${model}`);
      await chat(`${cloud}-${model}`);
    }
    const opus = onCloud(cloud, "claude-opus-4-6");
    const sonnet = onCloud(cloud, "claude-sonnet-4-5");
    expect(sent.slice(before)).toEqual([
      { cloud, model: opus, thinking: "enabled" },
      { cloud, model: opus, thinking: "enabled" },
      { cloud, model: sonnet, thinking: "enabled" },
      { cloud, model: sonnet, thinking: "enabled" },
    ]);
  });

  test("the route's refusal: the model's next route, Opus 4.6, answers it", async () => {
    const before = sent.length;
    const answer = await chat("opus-4-7-then-4-6");
    expect(answer.choices[0]?.message.content).toBe("hi");
    const messaged = await message("opus-4-7-then-4-6");
    expect(messaged.content).toMatchObject([{ type: "text", text: "hi" }]);
    const twice = { cloud: "bc", model: "us.anthropic.claude-opus-4-6", thinking: "enabled" };
    expect(sent.slice(before)).toEqual([twice, twice]);
  });

  test("a count is not refused: Opus 4.7's count_tokens goes as written", async () => {
    const before = sent.length;
    const count = await anthropic().messages.countTokens({
      model: "an-claude-opus-4-7",
      messages: [{ role: "user", content: "hi" }],
      thinking: BUDGET,
    });
    expect(count.input_tokens).toBe(3);
    expect(sent.slice(before)).toEqual([
      { cloud: "an-count", model: "claude-opus-4-7", thinking: "enabled" },
    ]);
  });

  test("adaptive goes as written; disabled to Opus 4.7, which takes it, too", async () => {
    const before = sent.length;
    const ask = (thinking: Anthropic.ThinkingConfigParam) =>
      anthropic().messages.create({
        model: "an-claude-opus-4-7",
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
        thinking,
      });
    await ask({ type: "adaptive" });
    await ask({ type: "disabled" });
    expect(sent.slice(before).map((s) => s.thinking)).toEqual(["adaptive", "disabled"]);
  });
});

describe("Claude Mythos Preview, which always thinks and takes a budget", () => {
  const OFF = { type: "disabled" } as const;
  // Not "adaptively" alone: it takes a manual budget too (Anthropic's table: "Adaptive, extended").
  const SAYS_OFF =
    'it always thinks: for the least thinking ask for {"type": "adaptive"} with output_config.effort low, or a small manual budget ({"type": "enabled", "budget_tokens": N}) where its server takes one';
  const SAID_OFF = expect.stringMatching(
    new RegExp(
      `^${RegExp.escape(OFF_WORDS)} thinking.type is "disabled", which .*${RegExp.escape(SAYS_OFF)}`,
    ),
  );

  test.each(CLOUDS)(
    "thinking disabled on %s: the 400 on thinking.type in each dialect, nothing sent",
    async (cloud) => {
      const before = sent.length;
      expect(await refusal(chat(`${cloud}-${PREVIEW}`, OFF))).toMatchObject({
        status: 400,
        param: "thinking.type",
        error: { message: SAID_OFF },
      });
      const error = await refusal(message(`${cloud}-${PREVIEW}`, OFF));
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
        type: "error",
        error: { type: "invalid_request_error", message: SAID_OFF },
      });
      expect(sent.slice(before)).toEqual([]);
    },
  );

  test.each(CLOUDS)("a manual budget and adaptive thinking on %s: sent as written", async (cloud) => {
    const before = sent.length;
    await chat(`${cloud}-${PREVIEW}`);
    await message(`${cloud}-${PREVIEW}`, { type: "adaptive" });
    const model = onCloud(cloud, PREVIEW);
    expect(sent.slice(before)).toEqual([
      { cloud, model, thinking: "enabled" },
      { cloud, model, thinking: "adaptive" },
    ]);
  });
});
