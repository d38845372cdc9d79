import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { converseJson } from "../../../test/fake-cloud/bedrock-wire.ts";
import { claudeClouds } from "../../testing/claude-clouds.ts";
import { recordOf } from "../../testing/recording-gateway.ts";

// Claude Sonnet 5.5 refuses `thinking: {type: "disabled"}` with a 400 at any effort, and offers
// `between_tools` in its place on every platform that serves it ("What's new in Claude Sonnet
// 5.5", Turn off up-front thinking; AWS serves it as anthropic.claude-sonnet-5-5); Opus 5.5 and Fable
// 5.1 always think ("What's new in Claude Opus 5.5"). Toward Claude's Messages API the gateway
// refuses it before anything is sent (thinking-type-refused.ts); toward Claude on Bedrock Converse
// it went as written, in `additionalModelRequestFields`, for Bedrock's ValidationException. Now
// the same refusal, in the caller's dialect, nothing sent; the model's next route is tried.
// Through the gateway on loopback and the official OpenAI and Anthropic SDKs, to a Converse
// upstream that judges thinking per model as Bedrock hands it to Claude.

/** What the upstream was sent: the model in the URL and the thinking Claude was handed. */
interface Sent {
  readonly model: string;
  readonly thinking: unknown;
}

const sent: Sent[] = [];
/** What Bedrock's CountTokens was asked to count (its `input.converse`). */
const counted: Sent[] = [];

/** The Claudes whose thinking cannot be turned off, as Bedrock names them (inference profiles). */
const THINKS_ALWAYS = /anthropic\.claude-(sonnet-5-5|opus-5-5|fable-5-1)/;

/**
 * Bedrock's Converse: the model in the path, Claude's own fields in `additionalModelRequestFields`.
 * Thinking disabled to a Claude that always thinks is its ValidationException, relaying the
 * model's 400 ("The model returned the following errors: …") in the words of "What's new in Claude
 * Opus 5.5" (Thinking can't be disabled).
 */
function converse(model: string, body: { additionalModelRequestFields?: { thinking?: unknown } }) {
  const thinking = body.additionalModelRequestFields?.thinking;
  sent.push({ model, thinking });
  const type = (thinking as { type?: unknown } | undefined)?.type;
  if (THINKS_ALWAYS.test(model) && type === "disabled")
    return Response.json(
      {
        message:
          'The model returned the following errors: "thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.',
      },
      { status: 400, headers: { "x-amzn-errortype": "ValidationException" } },
    );
  return Response.json(converseJson({ text: "hi", inputTokens: 3, outputTokens: 1 }));
}

/** Bedrock's CountTokens: what it counts is the Converse body in its `input`. */
function countTokens(model: string, body: { input: { converse: Parameters<typeof converse>[1] } }) {
  counted.push({ model, thinking: body.input.converse.additionalModelRequestFields?.thinking });
  return Response.json({ inputTokens: 7 });
}

const route = (name: string, ...models: string[]) => ({
  name,
  routes: models.map((model) => ({ provider: "bc" as const, model })),
});
const clouds = claudeClouds({ converse, countTokens }, [
  route("sonnet-5-5", "us.anthropic.claude-sonnet-5-5"),
  route("opus-5-5", "us.anthropic.claude-opus-5-5"),
  route("fable-5-1", "global.anthropic.claude-fable-5-1"),
  route("sonnet-5", "us.anthropic.claude-sonnet-5"),
  // Sonnet 5.5 first, Sonnet 5 (which turns thinking off) after it.
  route("sonnet-then-5", "us.anthropic.claude-sonnet-5-5", "us.anthropic.claude-sonnet-5"),
]);
const { openai, anthropic } = clouds;

/** A Messages call to `model` with `thinking` of `type`. */
const message = (model: string, type: "disabled" | "adaptive" | "between_tools") =>
  anthropic().messages.create({
    model,
    max_tokens: 64,
    messages: [{ role: "user", content: "hi" }],
    thinking: { type } as Anthropic.ThinkingConfigParam,
  });

describe("thinking disabled toward Claude on Bedrock Converse", () => {
  test("a chat caller's, to Sonnet 5.5: the OpenAI 400 on thinking.type, naming between_tools, nothing sent", async () => {
    const before = sent.length;
    const call = openai().chat.completions.create({
      model: "sonnet-5-5",
      messages: [{ role: "user", content: "hi" }],
      thinking: { type: "disabled" },
    } as never);
    await expect(call.withResponse()).rejects.toMatchObject({
      status: 400,
      param: "thinking.type",
      message: expect.stringContaining("between_tools"),
    });
    expect(sent.length).toBe(before);
  });

  test.each(["sonnet-5-5", "opus-5-5", "fable-5-1"])(
    "a Messages caller's, to %s: Anthropic's invalid_request_error, nothing sent",
    async (model) => {
      const before = sent.length;
      const error = await message(model, "disabled").then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
        type: "error",
        error: {
          type: "invalid_request_error",
          message: expect.stringContaining('thinking.type is "disabled"'),
        },
      });
      expect(sent.length).toBe(before);
    },
  );

  test("the route's refusal: the model's next route, Sonnet 5, answers with thinking off", async () => {
    const before = sent.length;
    const answer = await message("sonnet-then-5", "disabled");
    expect(answer.content).toEqual([{ type: "text", text: "hi" }] as never);
    expect(sent.slice(before)).toEqual([
      { model: "us.anthropic.claude-sonnet-5", thinking: { type: "disabled" } },
    ]);
  });

  // Refused as the call is adapted, as toward Claude's Messages API: no attempt opened on the route,
  // so none in the audit row, none counted failed (mindgw_upstream_attempts_total) and no failover.
  test("refused before the attempt opens: the audit row holds the answering route's attempt alone", async () => {
    const chat = await openai()
      .chat.completions.create({
        model: "sonnet-then-5",
        messages: [{ role: "user", content: "hi" }],
        thinking: { type: "disabled" },
      } as never)
      .withResponse();
    const forced = await anthropic()
      .messages.create({
        model: "sonnet-then-5",
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
        tools: [{ name: "look", input_schema: { type: "object" } }],
        tool_choice: { type: "any" },
      })
      .withResponse();
    for (const { response } of [chat, forced]) {
      const { attempts } = await recordOf(clouds.finished, response);
      expect(attempts?.map(({ upstreamModel, outcome }) => ({ upstreamModel, outcome }))).toEqual([
        { upstreamModel: "us.anthropic.claude-sonnet-5", outcome: "ok" },
      ]);
    }
  });

  test("between_tools and adaptive go to Sonnet 5.5 as written; disabled to Sonnet 5 too", async () => {
    const before = sent.length;
    await message("sonnet-5-5", "between_tools");
    await message("sonnet-5-5", "adaptive");
    await message("sonnet-5", "disabled");
    expect(sent.slice(before)).toEqual([
      { model: "us.anthropic.claude-sonnet-5-5", thinking: { type: "between_tools" } },
      { model: "us.anthropic.claude-sonnet-5-5", thinking: { type: "adaptive" } },
      { model: "us.anthropic.claude-sonnet-5", thinking: { type: "disabled" } },
    ]);
  });

  test("a count goes as written to Bedrock's CountTokens, which counts it: no doc says a count is refused for it", async () => {
    const count = await anthropic().messages.countTokens({
      model: "sonnet-5-5",
      messages: [{ role: "user", content: "hi" }],
      thinking: { type: "disabled" },
    });
    expect(count.input_tokens).toBe(7);
    expect(counted).toEqual([{ model: "us.anthropic.claude-sonnet-5-5", thinking: { type: "disabled" } }]);
  });
});
