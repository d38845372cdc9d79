import { expect, test } from "bun:test";
import type { ChunkSource } from "../core/chunk-source.ts";
import { Attempt } from "./attempt.ts";
import { type NativeReplyContext, readNativeReply } from "./native-reply.ts";

const STREAM = 'data: {"choices":[]}\n\ndata: [DONE]\n\n';

/** A stream answer whose bytes are all sent but whose end never comes (the connection stays open). */
function answer(headers: Record<string, string>): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return new Promise<void>(() => {});
      sent = true;
      controller.enqueue(new TextEncoder().encode(STREAM));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", ...headers } });
}

function context(): NativeReplyContext {
  const timeouts = { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 };
  return {
    dialect: "openai",
    provider: "a",
    attempt: new Attempt(new AbortController().signal, timeouts, "a"),
    stream: true,
    maxBody: 1 << 20,
    maxLine: 1 << 16,
    onBody: () => {},
    onUsage: () => true,
    done: () => {},
  };
}

async function chunksOf(response: Response): Promise<ChunkSource> {
  const reply = await readNativeReply(response, context());
  if (reply.kind !== "stream") throw new Error(`a stream was expected, not ${reply.kind}`);
  return reply.chunks;
}

test("a stream whose declared length is all in ends with its end marker: its end is not waited for", async () => {
  const length = String(new TextEncoder().encode(STREAM).length);
  const chunks = await chunksOf(answer({ "content-length": length }));
  expect(chunks.drained).toBe(true);
  expect(new TextDecoder().decode(chunks.ready?.())).toBe(STREAM);
});

test("a declared length is not trusted for a body decoded on the way, nor when absent", async () => {
  const length = String(new TextEncoder().encode(STREAM).length);
  const cases: Record<string, string>[] = [{ "content-length": length, "content-encoding": "gzip" }, {}];
  for (const headers of cases) {
    const chunks = await chunksOf(answer(headers));
    expect(chunks.drained).toBe(false);
    expect(new TextDecoder().decode(chunks.ready?.())).toBe(STREAM);
    chunks.cancel();
  }
});
