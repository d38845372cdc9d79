import { afterEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
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
