/**
 * The burst upstream's answers (bench/burst-upstream.ts serves them): 20 words, as one OpenAI chat
 * completion or a stream of 24 events (the role, 20 content deltas, the finish, the usage,
 * [DONE]), and the same in Anthropic's Messages dialect. In-process benches relay the same bytes.
 */
export const EVENTS = 20;
export const created = 1_764_460_800;
export const chunk = (delta: object, finish: string | null, extra: object = {}) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-burst",
    object: "chat.completion.chunk",
    created,
    model: "bench-model",
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  })}\n\n`;
export const usage = { prompt_tokens: 12, completion_tokens: EVENTS, total_tokens: 12 + EVENTS };
export const usageEvent = `data: ${JSON.stringify({ id: "chatcmpl-burst", object: "chat.completion.chunk", created, model: "bench-model", choices: [], usage })}\n\n`;
export const words = Array.from({ length: EVENTS }, (_, i) => `word${i} `);
export const streamBody = [
  chunk({ role: "assistant", content: "" }, null),
  ...words.map((w) => chunk({ content: w }, null)),
  chunk({}, "stop"),
  usageEvent,
  "data: [DONE]\n\n",
].join("");
export const jsonBody = JSON.stringify({
  id: "chatcmpl-burst",
  object: "chat.completion",
  created,
  model: "bench-model",
  choices: [{ index: 0, message: { role: "assistant", content: words.join("") }, finish_reason: "stop" }],
  usage,
});
/** The same answer in Anthropic's Messages dialect (`/v1/messages`). */
const anthropicEvent = (type: string, fields: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
const anthropicMessage = {
  id: "msg_burst",
  type: "message",
  role: "assistant",
  model: "bench-model",
  content: [] as object[],
  stop_reason: null as string | null,
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 1 },
};
export const anthropicStreamBody = [
  anthropicEvent("message_start", { message: anthropicMessage }),
  anthropicEvent("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  anthropicEvent("ping", {}),
  ...words.map((text) =>
    anthropicEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
  ),
  anthropicEvent("content_block_stop", { index: 0 }),
  anthropicEvent("message_delta", {
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: EVENTS },
  }),
  anthropicEvent("message_stop", {}),
].join("");
export const anthropicJsonBody = JSON.stringify({
  ...anthropicMessage,
  content: [{ type: "text", text: words.join("") }],
  stop_reason: "end_turn",
  usage: { input_tokens: 12, output_tokens: EVENTS },
});
