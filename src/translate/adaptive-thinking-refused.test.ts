import { describe, expect, test } from "bun:test";
import { type ClaudeCloud, onCloud, perCloud } from "../testing/claude-clouds.ts";
import { claudeJudgingThinking, refusedBeforeSending } from "../testing/claude-judging-thinking.ts";

// Claude 4.5 and earlier think only with a manual budget: thinking: {type: "adaptive"} is their 400,
// "adaptive thinking is not supported on this model" (Anthropic's "Troubleshooting thinking": Opus
// 4.5, Haiku 4.5 and Sonnet 4.5 "Extended only", rejecting "adaptive"; Opus 4.1, Sonnet 4 and Opus
// 4 "support extended thinking only"; AWS's "Adaptive thinking": "Older models (Claude Sonnet 4.5,
// Claude Opus 4.5, etc.) do not support adaptive thinking and require thinking.type: "enabled"
// with budget_tokens"). It was sent as written for that 400, and the model's next route was not
// tried. Now refused before anything is sent, as a budget to Claude 4.7 and later is: the caller's
// 400 in its own dialect naming thinking.type; the route's refusal. Through the gateway on loopback
// and the official OpenAI and Anthropic SDKs, to one upstream serving Claude on every cloud
// (testing/claude-clouds.ts), judging thinking per model by its own list.

/** The extended-thinking-only Claudes, by the upstream's own list, any cloud's name. */
const REFUSES_ADAPTIVE =
  /claude-(opus-4-5-20251101|sonnet-4-5|haiku-4-5-20251001|opus-4-1-20250805|opus-4-20250514|sonnet-4-20250514|3-7-sonnet-20250219)$/;
const WORDS = "adaptive thinking is not supported on this model";

/** Claude's 400 words for thinking of `type` to `model`, or undefined when it takes it. */
const refusedWith = (model: string, type: unknown) =>
  REFUSES_ADAPTIVE.test(model) && type === "adaptive" ? WORDS : undefined;

const CLOUDS: readonly ClaudeCloud[] = ["an", "vx", "bi", "bc"];
/** Claude 4.5 and earlier that think, by their Anthropic API names. */
const EXTENDED_ONLY = [
  "claude-opus-4-5-20251101",
  "claude-sonnet-4-5",
  "claude-haiku-4-5-20251001",
  "claude-opus-4-1-20250805",
  "claude-opus-4-20250514",
  "claude-sonnet-4-20250514",
  "claude-3-7-sonnet-20250219",
];
const BOTH = ["claude-opus-4-6", "claude-sonnet-4-6"];

const ADAPTIVE = { type: "adaptive" } as const;
const BUDGET = { type: "enabled", budget_tokens: 1024 } as const;

const callers = claudeJudgingThinking(
  refusedWith,
  [
    ...perCloud(CLOUDS, [...EXTENDED_ONLY, ...BOTH]),
    // Sonnet 4.5 first, Opus 4.6 (which takes adaptive thinking) after it, on another cloud.
    {
      name: "sonnet-4-5-then-opus-4-6",
      routes: [
        { provider: "an", model: "claude-sonnet-4-5" },
        { provider: "bc", model: "us.anthropic.claude-opus-4-6" },
      ],
    },
  ],
  ADAPTIVE,
);
const { sent, chat, message, anthropic } = callers;

const EVERY = CLOUDS.flatMap((cloud) => EXTENDED_ONLY.map((model) => `${cloud}-${model}`));
const SAYS = 'it thinks only with a manual budget: ask for {"type": "enabled", "budget_tokens": N}';
/** Claude's own words first, as for the other refused types, then the gateway's hint. */
const SAID = expect.stringMatching(new RegExp(`^${RegExp.escape(WORDS)}\\. .*${RegExp.escape(SAYS)}`));

describe("adaptive thinking toward Claude 4.5 and earlier", () => {
  refusedBeforeSending(callers, EVERY, SAID);

  test("the route's refusal: the model's next route, Opus 4.6, answers it", async () => {
    const before = sent.length;
    const answer = await chat("sonnet-4-5-then-opus-4-6");
    expect(answer.choices[0]?.message.content).toBe("hi");
    const messaged = await message("sonnet-4-5-then-opus-4-6");
    expect(messaged.content).toMatchObject([{ type: "text", text: "hi" }]);
    const twice = { cloud: "bc", model: "us.anthropic.claude-opus-4-6", thinking: "adaptive" };
    expect(sent.slice(before)).toEqual([twice, twice]);
  });

  test.each(CLOUDS)(
    "on %s, a budget to Sonnet 4.5 and adaptive to Opus and Sonnet 4.6 go as written",
    async (cloud) => {
      const before = sent.length;
      await message(`${cloud}-claude-sonnet-4-5`, BUDGET);
      await chat(`${cloud}-claude-opus-4-6`);
      await message(`${cloud}-claude-sonnet-4-6`);
      expect(sent.slice(before)).toEqual([
        { cloud, model: onCloud(cloud, "claude-sonnet-4-5"), thinking: "enabled" },
        { cloud, model: onCloud(cloud, "claude-opus-4-6"), thinking: "adaptive" },
        { cloud, model: onCloud(cloud, "claude-sonnet-4-6"), thinking: "adaptive" },
      ]);
    },
  );

  test("a count is not refused: Sonnet 4.5's count_tokens goes as written", async () => {
    const before = sent.length;
    const count = await anthropic().messages.countTokens({
      model: "an-claude-sonnet-4-5",
      messages: [{ role: "user", content: "hi" }],
      thinking: ADAPTIVE,
    });
    expect(count.input_tokens).toBe(3);
    expect(sent.slice(before)).toEqual([
      { cloud: "an-count", model: "claude-sonnet-4-5", thinking: "adaptive" },
    ]);
  });
});
