import { afterEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE } from "../../core/sse.ts";
import { readUpstreamReply } from "./read-reply.ts";

// A whole (non-stream) answer read for translation, from an upstream on a real socket that
// writes exactly the bytes given: a body cut short is said as the pass-through path says it.

let server: { stop(closeActive: boolean): void } | undefined;
afterEach(() => {
  server?.stop(true);
  server = undefined;
});

/** An upstream that answers every request with `head` and `body`, then closes the connection. */
function upstreamWriting(head: string, body: string): string {
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket) {
        socket.end(`${head}\r\n\r\n${body}`);
      },
    },
  });
  server = listener;
  return `http://127.0.0.1:${listener.port}/v1/chat/completions`;
}

async function failureOf(url: string): Promise<GatewayError | undefined> {
  const call = { stream: false, signal: new AbortController().signal };
  return readUpstreamReply("a", await fetch(url), call).then(
    () => undefined,
    (error: GatewayError) => error,
  );
}

describe("readUpstreamReply: a whole answer", () => {
  test("cut off before its declared length: the connection closed mid-body, not a body that is not JSON", async () => {
    const url = upstreamWriting(
      "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200",
      '{"id":"chatcmpl-1","choi',
    );
    const error = await failureOf(url);
    expect([error?.status, error?.code, error?.message, error?.retryable]).toEqual([
      502,
      "upstream_error",
      "upstream a closed the connection mid-body",
      true,
    ]);
  });

  test("whole but not JSON: says so", async () => {
    const body = "<html>oops</html>";
    const url = upstreamWriting(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}`,
      body,
    );
    expect((await failureOf(url))?.message).toBe("upstream a sent a body that is not JSON");
  });
});

describe("readUpstreamReply: a whole answer asked for, an event stream answered", () => {
  const streamed = (body: string) =>
    upstreamWriting(
      `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: ${new TextEncoder().encode(body).length}`,
      body,
    );

  test("says what came, as a whole body to a stream request is said", async () => {
    const body = 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n';
    const error = await failureOf(streamed(body));
    expect([error?.status, error?.code, error?.message]).toEqual([
      502,
      "upstream_error",
      "upstream a answered a request for a whole answer with an event stream (text/event-stream), not a JSON body",
    ]);
  });

  test("whose first event is an error: that error, in its words, as a 200 whose body is one", async () => {
    const oom =
      'data: {"error":{"message":"CUDA out of memory","type":"server_error","code":500}}\n\ndata: [DONE]\n\n';
    const error = await failureOf(streamed(oom));
    expect([error?.status, error?.message, error?.retryable]).toEqual([502, "CUDA out of memory", true]);
    const overloaded =
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    expect((await failureOf(streamed(overloaded)))?.upstream?.overloaded).toBe(true);
  });

  test("whose first line is past the event-stream bound: that failure, naming the upstream as its others do", async () => {
    const error = await failureOf(streamed(`data: "${"x".repeat(DEFAULT_MAX_SSE_LINE)}"\n\n`));
    expect([error?.status, error?.code, error?.message]).toEqual([
      502,
      "upstream_error",
      `upstream a sent an event-stream line longer than ${DEFAULT_MAX_SSE_LINE} bytes`,
    ]);
  });
});
