/**
 * Test support: an OpenAI upstream's chat answer "hi" stating `usage`, as it writes it whole or,
 * where the request asked for a stream, as its chunks with the usage in a last chunk of no choices
 * (`include_usage`), then `[DONE]` — for tests of what a request is charged.
 */
export async function openAiUsageAnswer(request: Request, usage: object): Promise<Response> {
  const { stream } = (await request.json()) as { stream?: boolean };
  const message = { role: "assistant", content: "hi" };
  if (!stream)
    return Response.json({
      id: "c1",
      object: "chat.completion",
      choices: [{ index: 0, message, finish_reason: "stop" }],
      usage,
    });
  const chunk = (body: object) =>
    `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", ...body })}\n\n`;
  return new Response(
    `${chunk({ choices: [{ index: 0, delta: message, finish_reason: "stop" }] })}${chunk({ choices: [], usage })}data: [DONE]\n\n`,
    { headers: { "content-type": "text/event-stream" } },
  );
}
