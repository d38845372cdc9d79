/**
 * Test support: an OpenAI upstream's chat answer "hi" stating its usage, for tests of what a request
 * is charged: whole, or as a stream's chunks with the usage in a last chunk of no choices
 * (`include_usage`), then `[DONE]`. One chunk builder for both the usage a test names and the
 * fifteen-token answer the tokens-per-minute tests charge.
 */

/** One `data:` line of a chat stream: a chunk of `fields` (its choices, and its usage if last). */
const chunk = (fields: object) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", ...fields })}\n\n`;

/** The stream's bytes: "hi", its finish, `usage` in a last chunk of no choices, then `[DONE]`. */
export const usageStream = (usage: object): string =>
  chunk({ choices: [{ index: 0, delta: { content: "hi" } }] }) +
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) +
  chunk({ choices: [], usage }) +
  "data: [DONE]\n\n";

/** The whole answer's body, naming `model`. */
export const usageAnswer = (usage: object, model: string) => ({
  id: "c1",
  object: "chat.completion",
  created: 1,
  model,
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage,
});

/** The answer to `request` stating `usage`: streamed when it asked for a stream, else whole. */
export async function openAiUsageAnswer(request: Request, usage: object): Promise<Response> {
  const { stream, model } = (await request.json()) as { stream?: boolean; model?: string };
  if (!stream) return Response.json(usageAnswer(usage, model ?? ""));
  return new Response(usageStream(usage), { headers: { "content-type": "text/event-stream" } });
}

const FIFTEEN_TOKENS = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

/**
 * The bytes of a stream that used 15 tokens (10 in, 5 out), for tests of what a key's tokens per
 * minute are charged (its body may stay open after them).
 */
export const FIFTEEN_TOKEN_STREAM = usageStream(FIFTEEN_TOKENS);

/** The whole answer that used 15 tokens, naming `model`. */
export const fifteenTokenAnswer = (model: string) => usageAnswer(FIFTEEN_TOKENS, model);
