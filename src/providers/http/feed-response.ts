import type { StreamedAnswer } from "./streamed-answer.ts";
import type { WholeAnswer } from "./whole-answer.ts";

/**
 * An upstream answer as a `Response`, for a reader that reads every answer so (a shadow copy,
 * shadow/read-copy.ts; a forward): a whole answer's bytes with its status, type and Retry-After;
 * a byte feed as the body of a `text/event-stream` response with its status and declared length,
 * read one feed read per pull (a slow reader still slows the socket).
 */
export function asResponse(answer: Response | StreamedAnswer | WholeAnswer): Response {
  if (answer instanceof Response) return answer;
  if (answer.body instanceof Uint8Array) return wholeResponse(answer as WholeAnswer);
  const feed = (answer as StreamedAnswer).body;
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
  const length = (answer as StreamedAnswer).length;
  if (length >= 0) headers["content-length"] = String(length);
  return new Response(body, { status: answer.status, headers });
}

function wholeResponse(answer: WholeAnswer): Response {
  const headers: Record<string, string> = {};
  if (answer.contentType !== undefined) headers["content-type"] = answer.contentType;
  if (answer.retryAfter !== undefined) headers["retry-after"] = answer.retryAfter;
  return new Response(answer.body.byteLength > 0 ? answer.body : null, { status: answer.status, headers });
}
