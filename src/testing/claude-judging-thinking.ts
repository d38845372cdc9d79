import { expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { converseJson } from "../../test/fake-cloud/bedrock-wire.ts";
import type { JsonObject } from "../core/dialect.ts";
import { claudeMessage } from "./answer-wire.ts";
import { type CloudModel, claudeClouds, refusal } from "./claude-clouds.ts";

// What the tests of the gateway's refusals of a thinking type share (test support, not shipped):
// an upstream serving Claude on every cloud (claude-clouds.ts) that records the thinking type it
// was sent and answers with Claude's own 400 where the test's judge says Claude refuses it, and
// the checks that a refused type reaches the caller in its dialect with nothing sent
// (adaptive-thinking-refused, manual-thinking-refused tests).

/** What an upstream was sent: which cloud and path, the model, and the thinking type. */
export interface SentThinking {
  readonly cloud: string;
  readonly model: string;
  readonly thinking: unknown;
}

/** Claude's 400 words for thinking of `type` to `model` (any cloud's name), undefined when taken. */
export type ThinkingJudge = (model: string, type: unknown) => string | undefined;

/** The gateway's callers, with `thinking` in the body unless another is given. */
export interface ThinkingCallers {
  /** What the upstream was sent, in order, counts on Anthropic's API as cloud "an-count". */
  readonly sent: readonly SentThinking[];
  /** A chat call to `model` through the official OpenAI SDK, Anthropic's `thinking` in the body. */
  chat(model: string, thinking?: Anthropic.ThinkingConfigParam): Promise<OpenAI.ChatCompletion>;
  /** A Messages call to `model` through the official Anthropic SDK. */
  message(model: string, thinking?: Anthropic.ThinkingConfigParam): Promise<Anthropic.Message>;
  /** The official Anthropic SDK on the gateway, for other calls. */
  anthropic(): Anthropic;
}

const typeOf = (thinking: unknown) => (thinking as { type?: string } | undefined)?.type;

/**
 * An upstream judging thinking per model as `judge` says Claude does, a gateway serving `models` on
 * it (started before the file's tests, stopped after them), and callers asking with `thinking`.
 */
export function claudeJudgingThinking(
  judge: ThinkingJudge,
  models: readonly CloudModel[],
  thinking: Anthropic.ThinkingConfigParam,
): ThinkingCallers {
  const sent: SentThinking[] = [];

  /** Claude's answer to a Messages body (Anthropic's API, Vertex AI, InvokeModel), or to a count. */
  function messages(cloud: string, model: string, body: JsonObject): Response {
    sent.push({ cloud, model, thinking: typeOf(body.thinking) });
    if (cloud === "an-count") return Response.json({ input_tokens: 3 });
    const words = judge(model, typeOf(body.thinking));
    if (words !== undefined)
      return Response.json(
        { type: "error", error: { type: "invalid_request_error", message: words } },
        { status: 400 },
      );
    return Response.json(claudeMessage(model));
  }

  /** Bedrock's Converse: Claude's 400 relayed as its ValidationException. */
  function converse(model: string, body: { additionalModelRequestFields?: JsonObject }): Response {
    const type = typeOf(body.additionalModelRequestFields?.thinking);
    sent.push({ cloud: "bc", model, thinking: type });
    const words = judge(model, type);
    if (words !== undefined)
      return Response.json(
        { message: `The model returned the following errors: ${words}` },
        { status: 400, headers: { "x-amzn-errortype": "ValidationException" } },
      );
    return Response.json(converseJson({ text: "hi", inputTokens: 3, outputTokens: 1 }));
  }

  const { openai, anthropic } = claudeClouds({ messages, converse }, models);
  return {
    sent,
    chat: (model, asked = thinking) =>
      openai().chat.completions.create({
        model,
        max_completion_tokens: 2048,
        messages: [{ role: "user", content: "hi" }],
        thinking: asked,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming),
    message: (model, asked = thinking) =>
      anthropic().messages.create({
        model,
        max_tokens: 2048,
        messages: [{ role: "user", content: "hi" }],
        thinking: asked,
      }),
    anthropic,
  };
}

/**
 * Tests that the callers' thinking to each of `models` is refused before anything is sent: a chat
 * caller's as the OpenAI 400 on thinking.type, a Messages caller's as Anthropic's
 * invalid_request_error, each with a message matching `said`.
 */
export function refusedBeforeSending(
  callers: ThinkingCallers,
  models: readonly string[],
  said: unknown,
): void {
  test.each(models)(
    "a chat caller's, to %s: the OpenAI 400 on thinking.type, nothing sent",
    async (model) => {
      const before = callers.sent.length;
      expect(await refusal(callers.chat(model))).toMatchObject({
        status: 400,
        param: "thinking.type",
        error: { message: said },
      });
      expect(callers.sent.slice(before)).toEqual([]);
    },
  );

  test.each(models)(
    "a Messages caller's, to %s: Anthropic's invalid_request_error, nothing sent",
    async (model) => {
      const before = callers.sent.length;
      const error = await refusal(callers.message(model));
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
        type: "error",
        error: { type: "invalid_request_error", message: said },
      });
      expect(callers.sent.slice(before)).toEqual([]);
    },
  );
}
