/**
 * Test support: an upstream's answer that used 15 tokens (10 in, 5 out), for tests of what a key's
 * tokens per minute are charged: the stream's usage in a last chunk of no choices, then `[DONE]`
 * (its body may stay open after it), and the whole answer naming `model`.
 */
const USAGE = '{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}';

/** The stream's bytes, as an upstream writes them. */
export const FIFTEEN_TOKEN_STREAM =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n' +
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  `data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":${USAGE}}\n\n` +
  "data: [DONE]\n\n";

/** The whole answer's body. */
export const fifteenTokenAnswer = (model: string) => ({
  id: "c2",
  object: "chat.completion",
  created: 1,
  model,
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
});
