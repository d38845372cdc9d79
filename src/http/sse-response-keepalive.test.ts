import { describe, expect, test } from "bun:test";
import { Attempt } from "../routing/attempt.ts";
import { ByteRelay } from "../routing/byte-relay.ts";
import { sseResponse } from "./sse-response.ts";
import { encoder, streamEnds, TIMEOUTS } from "./testing/sse-kit.ts";

// Keep-alive comments sent to the client of a quiet upstream, never inside an event.

/** An attempt that keeps its stream's client alive every `everyMs` (a route attempt's `stream_keepalive`). */
class KeptAlive extends Attempt {
  constructor(private readonly everyMs: number) {
    super(new AbortController().signal, TIMEOUTS, "a");
  }
  protected override get keepAliveMs(): number {
    return this.everyMs;
  }
}

describe("a quiet upstream", () => {
  test("the client is sent keep-alive comments between whole events: an event split across reads is held back whole", async () => {
    let upstream: ReadableStreamDefaultController<Uint8Array> | undefined;
    const reads = new ReadableStream<Uint8Array>({
      start(controller) {
        upstream = controller;
      },
    });
    const send = (text: string) => upstream?.enqueue(encoder.encode(text));
    const relay = new ByteRelay(reads.getReader(), new KeptAlive(20), {
      provider: "a",
      maxLine: 1024,
      onUsage: () => true,
      done: () => {},
    });
    send('data: {"a":1}\n\n');
    const started = await relay.start();
    const response = sseResponse(
      started,
      "openai",
      {},
      streamEnds(() => {}),
      started.ready(),
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const comments = () => text.split(": keep-alive\n\n").length - 1;
    const readUntil = async (what: string, done: () => boolean) => {
      while (!done()) {
        const read = await reader.read();
        if (read.done) throw new Error(`the stream ended before ${what}: ${JSON.stringify(text)}`);
        text += decoder.decode(read.value);
      }
    };
    await readUntil(
      "the first event and a comment",
      () => text.includes('data: {"a":1}\n\n') && comments() > 0,
    );
    // Half an event, its rest to come: the upstream is quiet, and the comments go on around it.
    send('data: {"b"');
    const before = comments();
    await readUntil("two comments more", () => comments() >= before + 2);
    send(":2}\n\n");
    await readUntil("the split event", () => text.includes(":2}"));
    send("data: [DONE]\n\n");
    upstream?.close();
    await readUntil("the end", () => text.includes("[DONE]"));
    expect((await reader.read()).done).toBe(true);
    // On the wire, every comment stands between two whole events.
    const pieces = text.split("\n\n").filter((piece) => piece !== "");
    expect(pieces.filter((piece) => piece !== ": keep-alive")).toEqual([
      'data: {"a":1}',
      'data: {"b":2}',
      "data: [DONE]",
    ]);
    expect(pieces.length).toBeGreaterThanOrEqual(6);
  });
});
