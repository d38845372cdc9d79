import type { Behaviour } from "./fake-behaviour.ts";
import type { RecordedRequest } from "./fake-request.ts";

/** Bytes sent on an endless line before the fake gives up by itself. */
const ENDLESS_CAP = 64 * 1024 * 1024;
const ENDLESS_PIECE = "x".repeat(4096);
const CUT_DRAIN_MS = 30;

/** Waits `ms`, or less if `signal` aborts first. Never rejects. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** What the body carries: SSE frames or one JSON text, plus the frame for a mid-stream error. */
export interface BodyPlan {
  chunks: string[];
  sse: boolean;
  errorFrame: string;
}

/** The body steps, in order, with the knobs applied; `"cut"` resets the connection. */
async function* steps(plan: BodyPlan, b: Behaviour, signal: AbortSignal): AsyncGenerator<string | "cut"> {
  const ttfb = b.ttfb ?? 0;
  if (ttfb > 0) {
    yield plan.sse ? ": fake\n\n" : " ";
    await pause(ttfb, signal);
  }
  if (!plan.sse && b.cutAfter !== undefined) {
    const json = plan.chunks.join("");
    yield json.slice(0, Math.floor(json.length / 2));
    await pause(CUT_DRAIN_MS, signal);
    yield "cut";
    return;
  }
  for (const [sent, chunk] of plan.chunks.entries()) {
    if (sent >= Math.max(1, b.chunkDelayFrom ?? 1)) await pause(b.chunkDelay ?? 0, signal);
    if (sent === b.cutAfter) {
      // Let what was sent reach the socket first: Bun drops unflushed bytes on a reset.
      await pause(CUT_DRAIN_MS, signal);
      yield "cut";
      return;
    }
    if (sent === b.streamError) {
      yield plan.errorFrame;
      return;
    }
    if (sent === b.stopAfter || (b.noEnd && plan.sse && sent === plan.chunks.length - 1)) return;
    if (sent === b.garbageAfter) yield "data: <html><body>502 Bad Gateway</body></html>\n\n";
    if (sent === b.endlessLine) {
      yield* endless(b, signal);
      return;
    }
    yield chunk;
  }
}

async function* endless(b: Behaviour, signal: AbortSignal): AsyncGenerator<string> {
  yield 'data: {"endless":"';
  for (let sent = 0; sent < ENDLESS_CAP && !signal.aborted; sent += ENDLESS_PIECE.length) {
    await pause(b.chunkDelay || 1, signal);
    yield ENDLESS_PIECE;
  }
}

/**
 * A body that plays the plan chunk by chunk and records how it ended: `cancel` (and the
 * request's signal, wired by the caller) mean the client left; `cut` errors the stream, which
 * makes Bun reset the connection mid-body.
 */
export function replyStream(plan: BodyPlan, b: Behaviour, rec: RecordedRequest, signal: AbortSignal) {
  const encoder = new TextEncoder();
  const it = steps(plan, b, signal);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (signal.aborted) return;
      if (next.done) {
        controller.close();
        rec.settle("completed");
      } else if (next.value === "cut") {
        rec.settle("cut");
        controller.error(new Error("fake upstream: connection cut on purpose (cut-after knob)"));
      } else {
        controller.enqueue(encoder.encode(next.value));
      }
    },
    cancel() {
      rec.settle("aborted");
      void it.return(undefined);
    },
  });
}
