import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { converseJson } from "../../test/fake-cloud/bedrock-wire.ts";
import type { JsonObject } from "../core/dialect.ts";
import { claudeMessage } from "../testing/answer-wire.ts";
import { type ClaudeCloud, claudeClouds, onCloud, perCloud, refusal } from "../testing/claude-clouds.ts";

// Claude Sonnet 5.5, Opus 5.5, Fable 5.1 and Mythos 5.1 answer a 400 to a forced tool call,
// tool_choice {"type": "any"} or {"type": "tool", "name": …} ("What's new in Claude Sonnet 5.5"
// and "… Opus 5.5": Forced tool use returns an error, Fable 5.1 alike; the Fable 5.1 migration
// guide: Mythos 5.1 too, {"type": "auto"} and {"type": "none"} supported; "Thinking in tool and
// multi-turn workflows" names the four). A chat caller's "required" or named function became one
// of them, a Messages caller's went as written, each sent for that 400. Now refused before anything
// is sent, as thinking off is (thinking-type-refused.ts): the caller's 400 in its own dialect naming
// tool_choice; the route's refusal, so the model's next route is tried. Through the gateway on
// loopback and the official OpenAI and Anthropic SDKs, to one upstream serving Anthropic's API,
// Claude on Vertex AI (rawPredict), Bedrock's InvokeModel and its Converse, each judging tool
// choice per model as Claude does (the 400's words as a user reported them, anomalyco/opencode#46735).

/** What an upstream was sent: which cloud, the model, and the tool choice as that cloud takes it. */
interface Sent {
  readonly cloud: string;
  readonly model: string;
  readonly choice: unknown;
}

const sent: Sent[] = [];

/** The Claudes that refuse a forced tool call, by any cloud's name for them. */
const REFUSES_FORCING = /claude-(sonnet-5-5|opus-5-5|fable-5-1|mythos-5-1)/;
const WORDS = 'tool_choice: type "tool" and "any" are not supported for this model.';

/** Claude's answer to a Messages body (Anthropic's API, Vertex AI, InvokeModel). */
function messages(cloud: string, model: string, body: JsonObject): Response {
  const choice = body.tool_choice as { type?: string } | undefined;
  sent.push({ cloud, model, choice });
  if (REFUSES_FORCING.test(model) && (choice?.type === "any" || choice?.type === "tool"))
    return Response.json(
      { type: "error", error: { type: "invalid_request_error", message: WORDS } },
      { status: 400 },
    );
  return Response.json(claudeMessage(model));
}

/** Bedrock's Converse: Claude's 400 relayed as its ValidationException. */
function converse(model: string, body: { toolConfig?: { toolChoice?: JsonObject } }): Response {
  const choice = body.toolConfig?.toolChoice;
  sent.push({ cloud: "bc", model, choice });
  if (REFUSES_FORCING.test(model) && (choice?.any !== undefined || choice?.tool !== undefined))
    return Response.json(
      { message: `The model returned the following errors: ${WORDS}` },
      { status: 400, headers: { "x-amzn-errortype": "ValidationException" } },
    );
  return Response.json(converseJson({ text: "hi", inputTokens: 3, outputTokens: 1 }));
}

/** The Claudes asked, by their Anthropic API names; Bedrock's are `us.anthropic.` and these. */
const REFUSING = ["claude-sonnet-5-5", "claude-opus-5-5", "claude-fable-5-1", "claude-mythos-5-1"];
/** Anthropic's API, Vertex AI, Bedrock's InvokeModel, Bedrock's Converse. */
const CLOUDS: readonly ClaudeCloud[] = ["an", "vx", "bi", "bc"];

const { openai, anthropic } = claudeClouds({ messages, converse }, [
  ...perCloud(CLOUDS, [...REFUSING, "claude-sonnet-5", "claude-fable-5", "claude-mythos-5"]),
  // Sonnet 5.5 first, Sonnet 5 (which takes a forced tool call) after it.
  {
    name: "sonnet-then-5",
    routes: [
      { provider: "an", model: "claude-sonnet-5-5" },
      { provider: "bc", model: "us.anthropic.claude-sonnet-5" },
    ],
  },
]);

const TOOL = {
  name: "get_weather",
  description: "The weather in a city",
  parameters: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};
const CHAT_TOOLS = [{ type: "function" as const, function: TOOL }];
const MESSAGES_TOOLS = [{ name: TOOL.name, description: TOOL.description, input_schema: TOOL.parameters }];

/** A chat call to `model` with `choice`. */
const chat = (model: string, choice: OpenAI.ChatCompletionToolChoiceOption) =>
  openai().chat.completions.create({
    model,
    messages: [{ role: "user", content: "Weather in Paris?" }],
    tools: CHAT_TOOLS,
    tool_choice: choice,
  });

/** A Messages call to `model` with `choice`. */
const message = (model: string, choice: Anthropic.ToolChoice) =>
  anthropic().messages.create({
    model,
    max_tokens: 64,
    messages: [{ role: "user", content: "Weather in Paris?" }],
    tools: MESSAGES_TOOLS,
    tool_choice: choice,
  });

const EVERY = CLOUDS.flatMap((cloud) => REFUSING.map((model) => `${cloud}-${model}`));

describe("a forced tool call toward a Claude that refuses one", () => {
  test.each(EVERY)(
    "a chat caller's required and named function, to %s: the OpenAI 400 on tool_choice, nothing sent",
    async (model) => {
      const before = sent.length;
      for (const choice of [
        "required",
        { type: "function", function: { name: TOOL.name } },
      ] as OpenAI.ChatCompletionToolChoiceOption[])
        expect(await refusal(chat(model, choice))).toMatchObject({
          status: 400,
          param: "tool_choice",
          message: expect.stringContaining("forces a tool call"),
        });
      expect(sent.slice(before)).toEqual([]);
    },
  );

  test.each(EVERY)(
    "a Messages caller's any and tool, to %s: Anthropic's invalid_request_error, nothing sent",
    async (model) => {
      const before = sent.length;
      for (const choice of [{ type: "any" }, { type: "tool", name: TOOL.name }] as Anthropic.ToolChoice[]) {
        const error = await refusal(message(model, choice));
        expect(error).toBeInstanceOf(Anthropic.BadRequestError);
        expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
          type: "error",
          error: { type: "invalid_request_error", message: expect.stringContaining("tool_choice") },
        });
      }
      expect(sent.slice(before)).toEqual([]);
    },
  );

  test.each(CLOUDS)(
    "a Responses caller's required, to Sonnet 5.5 on %s: the OpenAI 400 on tool_choice, nothing sent",
    async (cloud) => {
      const before = sent.length;
      const call = openai().responses.create({
        model: `${cloud}-claude-sonnet-5-5`,
        input: "Weather in Paris?",
        tools: [{ type: "function", strict: false, ...TOOL }],
        tool_choice: "required",
        store: false,
      });
      expect(await refusal(call)).toMatchObject({ status: 400, param: "tool_choice" });
      expect(sent.slice(before)).toEqual([]);
    },
  );

  test("the same list refuses thinking off: Mythos 5.1's, as Fable 5.1's, nothing sent", async () => {
    const before = sent.length;
    const error = await refusal(
      anthropic().messages.create({
        model: "an-claude-mythos-5-1",
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
        thinking: { type: "disabled" },
      }),
    );
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      error: { type: "invalid_request_error", message: expect.stringContaining("always thinks adaptively") },
    });
    expect(sent.slice(before)).toEqual([]);
  });

  test.each(CLOUDS)(
    "Fable 5 and Mythos 5 on %s: thinking off refused as Fable 5.1's, a forced call sent as written",
    async (cloud) => {
      const before = sent.length;
      for (const model of ["claude-fable-5", "claude-mythos-5"]) {
        const error = await refusal(
          anthropic().messages.create({
            model: `${cloud}-${model}`,
            max_tokens: 64,
            messages: [{ role: "user", content: "hi" }],
            thinking: { type: "disabled" },
          }),
        );
        expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
          error: {
            type: "invalid_request_error",
            message: expect.stringContaining("always thinks adaptively"),
          },
        });
        await message(`${cloud}-${model}`, { type: "any" });
      }
      const any = cloud === "bc" ? { any: {} } : { type: "any" };
      expect(sent.slice(before)).toEqual([
        { cloud, model: onCloud(cloud, "claude-fable-5"), choice: any },
        { cloud, model: onCloud(cloud, "claude-mythos-5"), choice: any },
      ]);
    },
  );

  test("the route's refusal: the model's next route, Sonnet 5, is sent the forced call", async () => {
    const before = sent.length;
    const answer = await chat("sonnet-then-5", "required");
    expect(answer.choices[0]?.message.content).toBe("hi");
    expect(sent.slice(before)).toEqual([
      { cloud: "bc", model: "us.anthropic.claude-sonnet-5", choice: { any: {} } },
    ]);
  });

  test.each(CLOUDS)(
    "auto and none go to Sonnet 5.5 on %s as written; a forced call to Sonnet 5 too",
    async (cloud) => {
      const before = sent.length;
      await message(`${cloud}-claude-sonnet-5-5`, { type: "auto" });
      await message(`${cloud}-claude-sonnet-5-5`, { type: "none" });
      await chat(`${cloud}-claude-sonnet-5-5`, "auto");
      await message(`${cloud}-claude-sonnet-5`, { type: "any" });
      const model = onCloud(cloud, "claude-sonnet-5-5");
      const sonnet5 = onCloud(cloud, "claude-sonnet-5");
      // Converse has no "none": the gateway offers no tools for it (converse-tool-history.ts).
      const [auto, none, any] =
        cloud === "bc"
          ? [{ auto: {} }, undefined, { any: {} }]
          : [{ type: "auto" }, { type: "none" }, { type: "any" }];
      expect(sent.slice(before)).toEqual([
        { cloud, model, choice: auto },
        { cloud, model, choice: none },
        { cloud, model, choice: auto },
        { cloud, model: sonnet5, choice: any },
      ]);
    },
  );
});
