import type { ChunkSource } from "../../core/chunk-source.ts";
import type { StreamWire } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { Attempt } from "../../routing/attempt.ts";
import { ByteRelay } from "../../routing/byte-relay.ts";
import { type StreamEnds, sseResponse } from "../sse-response.ts";

// What the sse-response*.test.ts files feed sseResponse (an upstream's reads, a source drained at
// once) and how they read what it sent.

export const encoder = new TextEncoder();
export const TIMEOUTS = { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 };

/** Upstream reads as given; then a clean end, or a broken connection when `breaks`. */
export function relayOf(reads: string[], breaks = false): ChunkSource {
  return relayOver(reads, (controller) => {
    if (breaks) controller.error(new Error("reset"));
    else controller.close();
    return undefined;
  });
}

/** Upstream reads as given, then neither more nor its body's end (it would, later: a slow upstream). */
export const heldRelayOf = (reads: string[]): ChunkSource => relayOver(reads, () => new Promise(() => {}));

/** A byte relay over `reads`, then what `after` does once they are read. */
function relayOver(
  reads: string[],
  after: (controller: ReadableStreamDefaultController<Uint8Array>) => undefined | Promise<never>,
): ChunkSource {
  let at = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = reads[at++];
      if (next === undefined) return after(controller);
      controller.enqueue(encoder.encode(next));
    },
  });
  const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
  return new ByteRelay(upstream.getReader(), attempt, {
    provider: "a",
    maxLine: 1024,
    onUsage: () => true,
    done: () => {},
  });
}

/** A source whose whole answer, its end with it, is its first read, in hand (a burst upstream's stream). */
export function drainedWith(text: string): ChunkSource {
  let taken = false;
  return {
    reported: undefined,
    get drained() {
      return taken;
    },
    ready() {
      taken = true;
      return encoder.encode(text);
    },
    next: () => Promise.reject(new Error("next must not be called")),
    cancel() {},
  };
}

/** A stream's ends: its end heard, its first byte not. */
export function streamEnds(end: (error?: GatewayError) => void): StreamEnds {
  return { firstByte() {}, answered: () => undefined, closing() {}, end };
}

/** Reads the whole body and reports how the stream said it ended (once it has said so). */
export async function run(chunks: ChunkSource, dialect: StreamWire = "openai") {
  const ending = Promise.withResolvers<{ error: GatewayError | undefined }>();
  // A first read in hand is taken first, as the pipeline takes it (http/model-pipeline.ts).
  const response = sseResponse(
    chunks,
    dialect,
    {},
    streamEnds((error) => ending.resolve({ error })),
    chunks.ready?.(),
  );
  const text = await response.text();
  return { text, ended: await ending.promise };
}
