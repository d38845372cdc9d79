import { afterAll, beforeAll, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { gatewaySdks } from "../testing/gateway-sdks.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// Answer fields and stream events the official SDKs know (openai 7.57, @anthropic-ai/sdk 1.12) and
// no scanner, schema or translator of the gateway's reads: a chat answer's moderation results and a
// chunk's `obfuscation`; a Messages answer's `stop_details` and `diagnostics`; a Responses answer's
// `tool_usage`, `prompt_cache_diagnostics` and `input_transformations`, with the stream events
// `response.output_text.annotation.added` and `response.reasoning_text.delta`. Same dialect in and
// out, each reaches the caller as the upstream wrote it, whole and streamed (STYLE.md habit 11).

const JSON_TYPE = { "content-type": "application/json" };
const SSE_TYPE = { "content-type": "text/event-stream" };

const MODERATION = {
  input: { type: "moderation_results", model: "omni-moderation-latest", results: [] },
  output: { type: "error", code: "moderation_unavailable", message: "later" },
};

const CHAT_WHOLE = JSON.stringify({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "up",
  choices: [{ index: 0, message: { role: "assistant", content: "Hi." }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  moderation: MODERATION,
  future_field: { kept: true },
});

const chunk = (body: object) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "up", ...body })}\n\n`;
const CHAT_STREAM = [
  chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "Hi" } }], obfuscation: "x7Qa" }),
  chunk({ choices: [{ index: 0, delta: { content: "." }, finish_reason: "stop" }], obfuscation: "k" }),
  chunk({ choices: [], moderation: MODERATION }),
  chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
  "data: [DONE]\n\n",
].join("");

const STOP_DETAILS = { type: "refusal", category: "cyber", explanation: "not this" };
const MESSAGE = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "up",
  content: [{ type: "text", text: "No." }],
  stop_reason: "refusal",
  stop_sequence: null,
  stop_details: STOP_DETAILS,
  container: null,
  diagnostics: { cache_miss_reason: null },
  usage: { input_tokens: 3, output_tokens: 2 },
};
const event = (type: string, body: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
const MESSAGES_STREAM = [
  event("message_start", { message: { ...MESSAGE, content: [], stop_reason: null, stop_details: null } }),
  event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  event("content_block_delta", { index: 0, delta: { type: "text_delta", text: "No." } }),
  event("content_block_stop", { index: 0 }),
  event("message_delta", {
    delta: { stop_reason: "refusal", stop_sequence: null, stop_details: STOP_DETAILS, container: null },
    usage: { output_tokens: 2 },
  }),
  event("message_stop", {}),
].join("");

const RESPONSE = {
  id: "resp_1",
  object: "response",
  created_at: 1,
  status: "completed",
  model: "up",
  output: [
    {
      type: "message",
      id: "msg_1",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: "Hi.", annotations: [] }],
    },
  ],
  usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
  tool_usage: { web_search: { num_requests: 0 } },
  prompt_cache_diagnostics: { cache_miss_reason: null },
  input_transformations: [],
};
const responsesEvent = (type: string, body: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
const RESPONSES_STREAM = [
  responsesEvent("response.created", {
    sequence_number: 0,
    response: { ...RESPONSE, status: "in_progress", output: [] },
  }),
  responsesEvent("response.reasoning_text.delta", {
    sequence_number: 1,
    item_id: "rs_1",
    output_index: 0,
    content_index: 0,
    delta: "hm",
  }),
  responsesEvent("response.output_text.delta", {
    sequence_number: 2,
    item_id: "msg_1",
    output_index: 1,
    content_index: 0,
    delta: "Hi.",
    obfuscation: "q",
  }),
  responsesEvent("response.output_text.annotation.added", {
    sequence_number: 3,
    item_id: "msg_1",
    output_index: 1,
    content_index: 0,
    annotation_index: 0,
    annotation: {
      type: "url_citation",
      url: "https://example.com",
      title: "e",
      start_index: 0,
      end_index: 3,
    },
  }),
  responsesEvent("response.completed", { sequence_number: 4, response: RESPONSE }),
].join("");

/** What the upstream answers, by path and whether the call streams. */
function answer(path: string, stream: boolean): Response {
  if (path.endsWith("/chat/completions"))
    return new Response(stream ? CHAT_STREAM : CHAT_WHOLE, { headers: stream ? SSE_TYPE : JSON_TYPE });
  if (path.endsWith("/messages"))
    return new Response(stream ? MESSAGES_STREAM : JSON.stringify(MESSAGE), {
      headers: stream ? SSE_TYPE : JSON_TYPE,
    });
  return new Response(stream ? RESPONSES_STREAM : JSON.stringify(RESPONSE), {
    headers: stream ? SSE_TYPE : JSON_TYPE,
  });
}

let gateway: UpstreamGateway;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const body = (await request.json()) as { stream?: boolean };
      return answer(new URL(request.url).pathname, body.stream === true);
    },
    (upstream) => ({
      providers: [
        { name: "oa", type: "openai", base_url: `${upstream}/v1`, api_key: "k", responses_api: true },
        { name: "an", type: "anthropic", base_url: upstream, api_key: "k" },
      ],
      models: [
        { name: "chat", routes: [{ provider: "oa", model: "up" }] },
        { name: "claude", routes: [{ provider: "an", model: "up" }] },
      ],
      routing: { retries: 0 },
    }),
  );
  ({ openai, anthropic } = gatewaySdks(gateway));
});

afterAll(() => gateway.stop());

const chatAsk = { model: "chat", messages: [{ role: "user" as const, content: "hi" }] };
const messagesAsk = { model: "claude", max_tokens: 10, messages: [{ role: "user" as const, content: "hi" }] };

test.each([false, true])(
  "chat (stream %p): moderation results, obfuscation, a field of the future, as sent",
  async (stream) => {
    const ask = stream ? { ...chatAsk, stream: true, stream_options: { include_usage: true } } : chatAsk;
    const response = await openai.chat.completions
      .create(ask as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .asResponse();
    expect(await response.text()).toBe(stream ? CHAT_STREAM : CHAT_WHOLE);
  },
);

test.each([false, true])("Messages (stream %p): stop_details, diagnostics, as sent", async (stream) => {
  const response = await anthropic.messages
    .create({ ...messagesAsk, stream } as Anthropic.MessageCreateParamsNonStreaming)
    .asResponse();
  expect(await response.text()).toBe(stream ? MESSAGES_STREAM : JSON.stringify(MESSAGE));
});

test.each([false, true])(
  "Responses (stream %p): tool_usage, cache diagnostics, new events, as sent",
  async (stream) => {
    const response = await openai.responses
      .create({ model: "chat", input: "hi", stream } as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      .asResponse();
    expect(await response.text()).toBe(stream ? RESPONSES_STREAM : JSON.stringify(RESPONSE));
  },
);
