import type { StreamedAnswer } from "./streamed-answer.ts";

/**
 * An upstream answer as a `Response`, for a reader that reads every answer so (a shadow copy,
 * shadow/read-copy.ts): a byte feed becomes the body of a `text/event-stream` response with its
 * status and declared length, read one feed read per pull (a slow reader still slows the socket).
 */
export function asResponse(answer: Response | StreamedAnswer): Response {
  if (answer instanceof Response) return answer;
  const feed = answer.body;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const read = await feed.readMany();
        if (read.done) controller.close();
        else for (const chunk of read.value) controller.enqueue(chunk);
      },
      cancel: () => feed.cancel(),
    },
    { highWaterMark: 0 },
  );
  const headers: Record<string, string> = { "content-type": "text/event-stream" };
  if (answer.length >= 0) headers["content-length"] = String(answer.length);
  return new Response(body, { status: answer.status, headers });
}
