import { describe, expect, test } from "bun:test";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamError } from "../core/gateway-error.ts";
import { childEnv } from "../testing/off-cloud-env.ts";
import { sseResponse, wholeStreamResponse } from "./sse-response.ts";
import { drainedWith, encoder, heldRelayOf, relayOf, run, streamEnds } from "./testing/sse-kit.ts";

// sseResponse relaying a stream: byte for byte, an upstream's error or a lost connection, a client
// that hangs up, headers, a source drained at once, the first write. A Responses stream's failure:
// sse-response-responses.test.ts; when the end reaches the client: sse-response-end.test.ts; a
// quiet upstream's keep-alives: sse-response-keepalive.test.ts.

/**
 * How the record ends when the client reads until `seen` and then hangs up, the upstream having
 * sent `reads` and neither more nor its body's end (it would, later).
 */
async function leftAfter(seen: string, reads: string[]): Promise<GatewayError | undefined> {
  const chunks = heldRelayOf(reads);
  const ending = Promise.withResolvers<GatewayError | undefined>();
  const response = sseResponse(chunks, "anthropic", {}, streamEnds(ending.resolve), undefined);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(seen)) {
    const read = await reader.read();
    if (read.done) break;
    text += decoder.decode(read.value);
  }
  await reader.cancel();
  return ending.promise;
}

describe("sseResponse", () => {
  test("a clean stream reaches the client byte for byte and ends without an error", async () => {
    const reads = ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\nda', "ta: [DONE]\n\n"];
    const { text, ended } = await run(relayOf(reads));
    expect(text).toBe(reads.join(""));
    expect(ended).toEqual({ error: undefined });
  });

  test("an error event relayed mid-stream is reported as a failure (the HTTP status stays 200)", async () => {
    const anthropic = await run(
      relayOf([
        'event: message_start\ndata: {"type":"message_start"}\n\n',
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"x"}}\n\n',
      ]),
      "anthropic",
    );
    expect(anthropic.ended?.error?.status).toBe(502);
    expect(anthropic.ended?.error?.code).toBe("upstream_error");
    const openai = await run(
      relayOf([
        'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
        'data: { "error":{"message":"x"}}\n\n',
      ]),
    );
    expect(openai.ended?.error?.status).toBe(502);
  });

  test("a client that hangs up on reading a relayed error event: the record keeps the failure, not client_closed", async () => {
    const error = await leftAfter("event: error", [
      'event: message_start\ndata: {"type":"message_start"}\n\n',
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"x"}}\n\n',
    ]);
    expect(error?.code).toBe("upstream_error");
    expect(error?.status).toBe(502);
  });

  test("a client that hangs up on reading [DONE], before the upstream closed its body, had the whole answer", async () => {
    const whole = await leftAfter("data: [DONE]", [
      'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
      "data: [DONE]\n\n",
    ]);
    expect(whole).toBeUndefined();
    const midway = await leftAfter('"choices"', [
      'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
    ]);
    expect(midway?.code).toBe("client_closed");
  });

  test("a connection lost mid-event: the half event is dropped, an error event in the caller's dialect follows", async () => {
    const { text, ended } = await run(relayOf(['data: {"a":1}\n\ndata: {"b"'], true), "anthropic");
    expect(text).toBe(
      'data: {"a":1}\n\nevent: error\ndata: {"type":"error","error":{"type":"api_error","message":"upstream a closed the connection mid-stream"}}\n\n',
    );
    expect(ended?.error?.message).toBe(upstreamError("upstream a closed the connection mid-stream").message);
  });

  test("an event stream's headers join the request's own, whole answer or pulled", async () => {
    const wholeHeaders: Record<string, string> = { "x-request-id": "req_1" };
    const whole = wholeStreamResponse(
      encoder.encode('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'),
      wholeHeaders,
    );
    const pulledHeaders: Record<string, string> = { "x-request-id": "req_1" };
    const pulled = sseResponse(
      relayOf(['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n', "data: [DONE]\n\n"]),
      "openai",
      pulledHeaders,
      streamEnds(() => {}),
      undefined,
    );
    for (const response of [whole, pulled]) {
      expect(Object.fromEntries(response.headers)).toEqual({
        "x-request-id": "req_1",
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      await response.text();
    }
  });

  test("a source drained with its first read closes with it: the end is not asked for", async () => {
    const whole = 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n';
    const chunks = drainedWith(whole);
    expect(await run(chunks)).toEqual({ text: whole, ended: { error: undefined } });
    // An upstream stream that arrives in one read with its end: the relay itself drains.
    expect(await run(relayOf([whole]))).toEqual({ text: whole, ended: { error: undefined } });
  });

  test("a source drained by a later read closes with that read", async () => {
    const reads = ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n', "data: [DONE]\n\n"];
    let at = 0;
    const chunks: ChunkSource = {
      reported: undefined,
      get drained() {
        return at === reads.length;
      },
      async next() {
        if (at === reads.length) throw new Error("next must not be called after the last read");
        return encoder.encode(reads[at++] ?? "");
      },
      cancel() {},
    };
    expect(await run(chunks)).toEqual({ text: reads.join(""), ended: { error: undefined } });
  });

  test("the head and a first read already in hand (256 bytes or more) leave in one write", async () => {
    // A first read of a few hundred bytes. (One under 256 bytes still goes out after the head,
    // in a write of its own: so Bun sends a standard stream's small first chunk; docs/BENCHMARKS-HISTORY.md.)
    const first = `data: {"choices":[{"delta":{"content":"${"hi ".repeat(100)}"}}]}\n\n`;
    // The first read is in hand; the next one never comes (the stream stays open).
    let taken = false;
    const chunks: ChunkSource = {
      reported: undefined,
      ready() {
        if (taken) return undefined;
        taken = true;
        // Holds this process just after `pull` returns: whatever Bun has not sent by then
        // reaches the client only after the hold, in a write of its own (the stimulus).
        queueMicrotask(() => Bun.sleepSync(300));
        return encoder.encode(first);
      },
      next: () => new Promise(() => {}),
      cancel() {},
    };
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch() {
        // As in the gateway, the answer is handed back after the request's own callback (the
        // upstream's reply arrives later), where nothing would gather the writes of the response.
        await new Promise((resolve) => setImmediate(resolve));
        return sseResponse(
          chunks,
          "openai",
          {},
          streamEnds(() => {}),
          chunks.ready?.(),
        );
      },
    });
    // The client is a process of its own: it reads what arrives while this one is held.
    const client = Bun.spawn(
      [
        process.execPath,
        "-e",
        `const socket = await Bun.connect({ hostname: "127.0.0.1", port: ${server.port}, socket: {
          data(_s, data) { process.stdout.write(data); process.exit(0); } } });
        socket.write("GET / HTTP/1.1\\r\\nhost: 127.0.0.1\\r\\n\\r\\n");`,
      ],
      { env: childEnv(), stdout: "pipe", stderr: "inherit" },
    );
    const deadline = setTimeout(() => client.kill(), 20_000);
    try {
      const text = await new Response(client.stdout).text();
      expect(text).toStartWith("HTTP/1.1 200");
      expect(text).toContain(first);
    } finally {
      clearTimeout(deadline);
      client.kill();
      await client.exited;
      server.stop(true);
    }
  });
});
