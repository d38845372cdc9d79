import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import {
  CONVERSE_TARGET,
  chatRequestToConverse,
} from "../translate/openai-to-bedrock/chat-request-to-converse.ts";
import { chatRequestToGemini, GEMINI_TARGET } from "../translate/openai-to-gemini/chat-request-to-gemini.ts";
import type { DispatchRequest } from "./router.ts";
import { chatRequest, type FakeProvider, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import {
  COMPLETION,
  MESSAGE,
  oneRoute,
  refusal,
  refusedBy,
  responsesCall,
} from "./router-unsupported-fixture.ts";

// What a step after the caller's own refuses (a translation, the upstream) is said at the caller's
// path and under its names, not at the chat request's the router made of it.

/** What `provider`, the one route of model `m`, has the caller told for `request`: status, param, message. */
const refusalOf = async (
  provider: FakeProvider,
  request: Partial<DispatchRequest>,
  config: object = oneRoute("openai"),
) => {
  const error = await refusedBy(routerFor(config, [provider]).router, chatRequest("m", request));
  return [error.status, error.param, error.message];
};
/** An OpenAI upstream's 400 naming `param`, as OpenAI says one. */
const openaiRefusing = (param: string, message: string, code: string) =>
  fakeProvider("p", () =>
    Promise.reject(refusal("p", { error: { message, type: "invalid_request_error", param, code } })),
  );

describe("what a later step says of a Responses or Messages caller's parts: the caller's paths and names", () => {
  const PNG = "data:image/png;base64,iVBORw0KGgo=";
  /** A Bedrock route: its provider translates in its call, as BedrockProvider does. */
  const bedrock = () => ({
    ...fakeProvider("p", (call) => {
      chatRequestToConverse(call.body);
      return Promise.resolve(jsonReply(COMPLETION));
    }),
    chatTarget: CONVERSE_TARGET,
  });
  const anthropic = () => ({
    ...fakeProvider("p", () => Promise.resolve(jsonReply(MESSAGE))),
    dialect: "anthropic" as const,
  });
  const gemini = () => ({
    ...fakeProvider("p", (call) => {
      chatRequestToGemini(call.body);
      return Promise.resolve(jsonReply(COMPLETION));
    }),
    chatTarget: GEMINI_TARGET,
  });
  /** A Responses call with `instructions` (the chat request's first message) and `part` in its third item. */
  const responses = (part: object) =>
    responsesCall({
      model: "m",
      instructions: "be brief",
      input: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
        { role: "user", content: [{ type: "input_text", text: "look" }, part] },
      ],
    });
  /** A Messages call (max_tokens 10, a system prompt) of `messages`. */
  const messages = (...messages: JsonObject[]): Partial<DispatchRequest> => ({
    operation: "messages",
    body: { model: "m", max_tokens: 10, system: "be brief", messages },
  });
  const DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

  test.each([
    {
      caller: "Responses on Bedrock: an input_image by URL",
      provider: bedrock,
      request: responses({ type: "input_image", image_url: "https://x.test/a.png" }),
      param: "input[2].content[1]",
      message:
        "input[2].content[1]: an image by URL, which Bedrock's Converse does not fetch: send it as a base64 data: URL (png, jpeg, gif, webp), or call a model whose upstream fetches URLs",
    },
    {
      caller: "Responses on Bedrock: an input_file it has no format for",
      provider: bedrock,
      request: responses({
        type: "input_file",
        filename: "a.zip",
        file_data: "data:application/zip;base64,UEs=",
      }),
      param: "input[2].content[1]",
      message:
        "input[2].content[1]: this model takes files only as base64 data: URLs of pdf, csv, doc, docx, xls, xlsx, html, txt, md",
    },
    {
      caller: "Responses on Anthropic: an input_file Messages has no block for",
      provider: anthropic,
      request: responses({ type: "input_file", filename: "a.docx", file_data: `data:${DOCX};base64,UEs=` }),
      param: "input[2].content[1]",
      message: `input[2].content[1]: part "input_file" holds ${DOCX} (a.docx), which this model cannot read: it takes a PDF (application/pdf) or text (text/plain, text/markdown, text/csv, … any text/*) as a data: URL in file_data`,
    },
    {
      caller: "an Anthropic caller's tool result a Gemini route cannot pair",
      provider: gemini,
      request: messages(
        { role: "user", content: "weather?" },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_never", content: "18C" }] },
      ),
      param: "messages.1.content.0.tool_use_id",
      message: "messages.1.content.0.tool_use_id: does not answer a tool call earlier in the conversation",
    },
    {
      caller: "an Anthropic caller with a system prompt, on Bedrock",
      provider: bedrock,
      request: messages({
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image", source: { type: "url", url: "https://x.test/a.png" } },
        ],
      }),
      param: "messages.0.content.1",
      message:
        "messages.0.content.1: an image by URL, which Bedrock's Converse does not fetch: send it as a base64 data: URL (png, jpeg, gif, webp), or call a model whose upstream fetches URLs",
    },
  ])("$caller: a 400 names $param", async ({ provider, request, param, message }) => {
    expect(await refusalOf(provider(), request)).toEqual([400, param, message]);
  });

  test("what a later step drops is named as the Responses API calls it, and refused at the caller's path", async () => {
    const detail = { type: "input_image", image_url: PNG, detail: "high" };
    const rejecting = oneRoute("openai", "up", { translation: { unsupported: "reject" } });
    for (const provider of [anthropic, bedrock]) {
      const { router } = routerFor(oneRoute("openai"), [provider()]);
      const dispatched = await router(chatRequest("m", responses(detail)));
      expect(dispatched.dropped).toEqual(["content.input_image.detail"]);
      expect(await refusalOf(provider(), responses(detail), rejecting)).toEqual([
        400,
        "input[2].content[1].detail",
        "input[2].content[1].detail: content.input_image.detail cannot be translated for this model's upstream (translation.unsupported: reject)",
      ]);
    }
    const { router } = routerFor(oneRoute("openai"), [anthropic()]);
    const byId = await router(chatRequest("m", responses({ type: "input_file", file_id: "file-abc" })));
    expect(byId.dropped).toEqual(["content.input_file.file_id"]);
  });

  test("an OpenAI upstream's own param naming a chat message is the Responses caller's item too", async () => {
    const refusing = openaiRefusing(
      "messages[3].content[1].image_url",
      "Invalid image URL.",
      "invalid_image_url",
    );
    const { router } = routerFor(oneRoute("openai"), [refusing]);
    const image = { type: "input_image", image_url: "https://x.test/a.png" };
    const error = await refusedBy(router, chatRequest("m", responses(image)));
    expect([error.status, error.param]).toEqual([400, "input[2].content[1].image_url"]);
    expect(error.upstream?.body?.error).toMatchObject({ param: "input[2].content[1].image_url" });
  });

  test.each([
    ["messages[1].content", "input[2].content"],
    ["messages[1].tool_calls", "input[1]"],
  ])(
    "text after a call, merged into the call's chat message: a 400 about its content names its own item, about the message the call's (%s: %s)",
    async (param, named) => {
      const message = "Invalid value: expected a string, got an empty one.";
      const { router } = routerFor(oneRoute("openai"), [openaiRefusing(param, message, "invalid_value")]);
      const input = [
        { role: "user", content: "Weather?" },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "\n\n", annotations: [] }],
        },
        { type: "function_call_output", call_id: "c1", output: "sun" },
      ];
      const error = await refusedBy(router, chatRequest("m", responsesCall({ model: "m", input })));
      expect([error.status, error.param]).toEqual([400, named]);
    },
  );
});

describe("an Anthropic route's refusal of a schema, said of the chat caller's field", () => {
  // Anthropic has no `param`: its message leads with the field it refuses.
  const anthropicRefusing = (message: string) => ({
    ...fakeProvider("p", () =>
      Promise.reject(refusal("p", { type: "error", error: { type: "invalid_request_error", message } })),
    ),
    dialect: "anthropic" as const,
  });
  const config = oneRoute("anthropic");
  const chat = (extra: JsonObject = {}) => ({
    body: { model: "m", messages: [{ role: "user", content: "hi" }], ...extra },
  });
  const tool = (name: string) => ({ type: "function", function: { name, parameters: { type: "object" } } });
  const TOO_MANY = "Schemas contains too many optional parameters";

  test.each([
    {
      caller: "the format's schema",
      said: `output_config.format.schema: ${TOO_MANY}`,
      request: chat({
        response_format: { type: "json_schema", json_schema: { name: "r", schema: { type: "object" } } },
      }),
      param: "response_format.json_schema.schema",
      message: `response_format.json_schema.schema: ${TOO_MANY}`,
    },
    {
      caller: "a Responses caller's format's schema",
      said: `output_config.format.schema: ${TOO_MANY}`,
      request: responsesCall({
        model: "m",
        input: "hi",
        text: { format: { type: "json_schema", name: "r", schema: { type: "object" } } },
      }),
      param: "text.format.schema",
      message: `text.format.schema: ${TOO_MANY}`,
    },
    {
      caller: "the second tool's input_schema",
      said: "tools.1.custom.input_schema: JSON schema is invalid",
      request: chat({ tools: [tool("a"), tool("b")] }),
      param: "tools[1].function.parameters",
      message: "tools[1].function.parameters: JSON schema is invalid",
    },
    {
      caller: "a field within a tool's input_schema",
      said: "tools.0.custom.input_schema.properties.city: Input should be a valid dictionary",
      request: chat({ tools: [tool("a")] }),
      param: "tools[0].function.parameters.properties.city",
      message: "tools[0].function.parameters.properties.city: Input should be a valid dictionary",
    },
    {
      caller: "stop_sequences",
      said: "stop_sequences: each stop sequence must be shorter",
      request: chat({ stop: ["END"] }),
      param: "stop",
      message: "stop: each stop sequence must be shorter",
    },
  ])("$caller is the caller's $param", async ({ said, request, param, message }) => {
    expect(await refusalOf(anthropicRefusing(said), request, config)).toEqual([400, param, message]);
  });

  test("any other field it leads with is left as it said it, with no param", async () => {
    const said = "messages.0.content: text content blocks must be non-empty";
    expect(await refusalOf(anthropicRefusing(said), chat(), config)).toEqual([400, undefined, said]);
  });

  test("a Responses caller's tool is its own, at its place among its tools: the chat step's names, then the Responses call's", async () => {
    const request = chatRequest(
      "m",
      responsesCall({
        model: "m",
        input: "hi",
        tools: [
          // A hosted tool no chat upstream runs: dropped, so the chat tools' indexes are not the caller's.
          { type: "web_search" },
          { type: "function", name: "a", parameters: { type: "object" } },
          {
            type: "namespace",
            name: "ns",
            tools: [{ type: "function", name: "b", parameters: { type: "object" } }],
          },
        ],
      }),
    );
    const refusing = (said: string) => routerFor(config, [anthropicRefusing(said)]).router;
    const error = await refusedBy(refusing("tools.1.custom.input_schema: JSON schema is invalid"), request);
    expect([error.status, error.param, error.message]).toEqual([
      400,
      "tools[2].tools[0].parameters",
      "tools[2].tools[0].parameters: JSON schema is invalid",
    ]);
    const within = refusing("tools.0.custom.input_schema.properties: Input should be a valid dictionary");
    const deeper = await refusedBy(within, request);
    expect(deeper.param).toBe("tools[1].parameters.properties");
  });
});
