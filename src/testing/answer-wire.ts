import type { TracedRoute } from "./traced-models.ts";

/**
 * Test support: the smallest answers of one sentence as OpenAI's chat and Anthropic's Messages
 * write them, naming `model` as the model that answered, whole or as a stream's events.
 */

/** An event as its data says it: Anthropic's and the Responses API's name their `type`. */
export type WireEvent = { readonly type?: string; readonly [field: string]: unknown };

/** A chat completion saying `content`. */
export const chatCompletion = (model: string, content = "Paris.") => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_764_000_000,
  model,
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
});

/** A chat stream's chunks, its usage in a last chunk of no choices (`include_usage`). */
export function chatChunks(model: string): WireEvent[] {
  const chunk = (choices: object[], extra: object = {}) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1_764_000_000,
    model,
    choices,
    ...extra,
  });
  return [
    chunk([{ index: 0, delta: { role: "assistant", content: "Paris." }, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
    chunk([], { usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } }),
  ];
}

/** A Messages answer. */
export const claudeMessage = (model: string) => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model,
  content: [{ type: "text", text: "Paris." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 5, output_tokens: 2 },
});

/** A Messages stream's events, each `{type, …}` as its data says it. */
export function claudeEvents(model: string): WireEvent[] {
  const { content: _, usage, stop_reason: _stop, ...start } = claudeMessage(model);
  return [
    {
      type: "message_start",
      message: { ...start, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } },
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Paris." } },
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 2 },
    },
    { type: "message_stop" },
  ];
}

/** `events` as a server-sent event stream: Anthropic's named, OpenAI's bare and ended `[DONE]`. */
export function sse(events: readonly WireEvent[], named: boolean): Response {
  const lines = events.map((event) =>
    named ? `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n` : `data: ${JSON.stringify(event)}\n\n`,
  );
  if (!named) lines.push("data: [DONE]\n\n");
  return new Response(lines.join(""), { headers: { "content-type": "text/event-stream" } });
}

/** The model an OpenAI route answers as. */
export const ANSWERED = "gpt-4o-mini-2024-07-18";

/** A chat completions route of `provider`, answering as OpenAI does. */
export const chatRoute = (provider: TracedRoute["provider"]): TracedRoute => ({
  provider,
  model: "gpt-4o-mini",
  answer: (_, sent) =>
    sent.stream ? sse(chatChunks(ANSWERED), false) : Response.json(chatCompletion(ANSWERED)),
});

export const ASK = {
  chat: ["/v1/chat/completions", { messages: [{ role: "user", content: "hi" }] }],
  messages: ["/v1/messages", { max_tokens: 50, messages: [{ role: "user", content: "hi" }] }],
  responses: ["/v1/responses", { input: "hi" }],
} as const;

/** Each caller's dialect, whole and streamed, and the model its answer names. */
export const CALLERS = [
  ["chat", false, ANSWERED],
  ["chat", true, ANSWERED],
  ["messages", false, "m"],
  ["messages", true, "m"],
  ["responses", false, "m"],
  ["responses", true, "m"],
] as const;
