import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { converseJson } from "../../test/fake-cloud/bedrock-wire.ts";
import type { JsonObject } from "../core/dialect.ts";
import { claudeMessage } from "../testing/answer-wire.ts";
import { type ClaudeCloud, claudeClouds, onCloud, perCloud, refusal } from "../testing/claude-clouds.ts";

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

/** What an upstream was sent: which cloud, the model, and the thinking type. */
interface Sent {
  readonly cloud: string;
  readonly model: string;
  readonly thinking: unknown;
}

const sent: Sent[] = [];

/** The extended-thinking-only Claudes, by the upstream's own list, any cloud's name. */
const REFUSES_ADAPTIVE =
  /claude-(opus-4-5-20251101|sonnet-4-5|haiku-4-5-20251001|opus-4-1-20250805|opus-4-20250514|sonnet-4-20250514|3-7-sonnet-20250219)$/;
const WORDS = "adaptive thinking is not supported on this model";

const typeOf = (thinking: unknown) => (thinking as { type?: string } | undefined)?.type;

/** Claude's answer to a Messages body (Anthropic's API, Vertex AI, InvokeModel), or to a count. */
function messages(cloud: string, model: string, body: JsonObject): Response {
  sent.push({ cloud, model, thinking: typeOf(body.thinking) });
  if (cloud === "an-count") return Response.json({ input_tokens: 3 });
  if (REFUSES_ADAPTIVE.test(model) && typeOf(body.thinking) === "adaptive")
    return Response.json(
      { type: "error", error: { type: "invalid_request_error", message: WORDS } },
      { status: 400 },
    );
  return Response.json(claudeMessage(model));
}

/** Bedrock's Converse: Claude's 400 relayed as its ValidationException. */
function converse(model: string, body: { additionalModelRequestFields?: JsonObject }): Response {
  const thinking = typeOf(body.additionalModelRequestFields?.thinking);
  sent.push({ cloud: "bc", model, thinking });
  if (REFUSES_ADAPTIVE.test(model) && thinking === "adaptive")
    return Response.json(
      { message: `The model returned the following errors: ${WORDS}` },
      { status: 400, headers: { "x-amzn-errortype": "ValidationException" } },
    );
  return Response.json(converseJson({ text: "hi", inputTokens: 3, outputTokens: 1 }));
}

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

const { openai, anthropic } = claudeClouds({ messages, converse }, [
  ...perCloud(CLOUDS, [...EXTENDED_ONLY, ...BOTH]),
  // Sonnet 4.5 first, Opus 4.6 (which takes adaptive thinking) after it, on another cloud.
  {
    name: "sonnet-4-5-then-opus-4-6",
    routes: [
      { provider: "an", model: "claude-sonnet-4-5" },
      { provider: "bc", model: "us.anthropic.claude-opus-4-6" },
    ],
  },
]);

const ADAPTIVE = { type: "adaptive" } as const;
const BUDGET = { type: "enabled", budget_tokens: 1024 } as const;

/** A chat call to `model` with Anthropic's `thinking` in the body (adaptive unless given). */
const chat = (model: string, thinking: Anthropic.ThinkingConfigParam = ADAPTIVE) =>
  openai().chat.completions.create({
    model,
    max_completion_tokens: 2048,
    messages: [{ role: "user", content: "hi" }],
    thinking,
  } as OpenAI.ChatCompletionCreateParamsNonStreaming);

/** A Messages call to `model` with `thinking` (adaptive unless given). */
const message = (model: string, thinking: Anthropic.ThinkingConfigParam = ADAPTIVE) =>
  anthropic().messages.create({
    model,
    max_tokens: 2048,
    messages: [{ role: "user", content: "hi" }],
    thinking,
  });

const EVERY = CLOUDS.flatMap((cloud) => EXTENDED_ONLY.map((model) => `${cloud}-${model}`));
const SAYS = 'it thinks only with a manual budget: ask for {"type": "enabled", "budget_tokens": N}';
/** Claude's own words first, as for the other refused types, then the gateway's hint. */
const SAID = expect.stringMatching(new RegExp(`^${RegExp.escape(WORDS)}\\. .*${RegExp.escape(SAYS)}`));

describe("adaptive thinking toward Claude 4.5 and earlier", () => {
  test.each(EVERY)("a chat caller's, to %s: the OpenAI 400 on thinking.type, nothing sent", async (model) => {
    const before = sent.length;
    expect(await refusal(chat(model))).toMatchObject({
      status: 400,
      param: "thinking.type",
      error: { message: SAID },
    });
    expect(sent.slice(before)).toEqual([]);
  });

  test.each(EVERY)(
    "a Messages caller's, to %s: Anthropic's invalid_request_error, nothing sent",
    async (model) => {
      const before = sent.length;
      const error = await refusal(message(model));
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
        type: "error",
        error: { type: "invalid_request_error", message: SAID },
      });
      expect(sent.slice(before)).toEqual([]);
    },
  );

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
