/**
 * The shadow thread: a Worker that sends shadow copies upstream and reads their answers, so the
 * second exchange of a mirrored request (Bun's `fetch`, its `Response`, reading and parsing the
 * answer) runs off the gateway's event loop. The gateway captures the request its provider would
 * send (shadow-call.ts), posts it here with others of the same turn, and gets back the outcome;
 * comparing, pricing and storing stay with the runner (shadow-runner.ts), which also keeps each
 * copy's timeout and the cap.
 */

import { toGatewayError } from "../core/gateway-error.ts";
import { unreachable } from "../providers/http/upstream-failure.ts";
import { createUpstreamFetch } from "../providers/http/upstream-fetch.ts";
import { NO_USAGE, readCopy, type ShadowOutcome } from "./read-copy.ts";
import type { ShadowThreadReply, ShadowThreadRequest, ThreadCopy } from "./shadow-thread-protocol.ts";

declare const self: Worker;

/** Copies in flight, by id: how to cut each off. */
const flights = new Map<number, AbortController>();
/**
 * The gateway's own rule for upstream calls: native `fetch` while under half of Bun's per-process
 * limit, which this thread shares with the event loop's calls; past it, the lean client (no cap).
 */
const upstreamFetch = createUpstreamFetch({ inFlight: () => flights.size });
let done: { id: number; outcome: ShadowOutcome }[] = [];

/** Outcomes finished in one turn leave in one message. */
function post(): void {
  const outcomes = done;
  done = [];
  self.postMessage({ outcomes } satisfies ShadowThreadReply);
}

function finish(id: number, outcome: ShadowOutcome): void {
  // A copy the gateway cut off already has its outcome there.
  if (!flights.delete(id)) return;
  // Fetches finish in separate callbacks of this thread's loop: one post at the end of the turn.
  if (done.length === 0) setImmediate(post);
  done.push({ id, outcome });
}

async function send(copy: ThreadCopy): Promise<void> {
  const controller = new AbortController();
  flights.set(copy.id, controller);
  const clock = { started: performance.now(), ttftMs: null as number | null };
  const signal = controller.signal;
  try {
    let response: Response;
    try {
      response = await upstreamFetch(copy.url, {
        method: "POST",
        headers: copy.headers,
        body: copy.body,
        signal,
      });
    } catch {
      // As the provider's own call reads a fetch that failed before any answer (post-json.ts).
      throw unreachable(copy.provider);
    }
    finish(copy.id, await readCopy(response, copy.target, signal, clock));
  } catch (error) {
    const failure = toGatewayError(error);
    finish(copy.id, {
      status: failure.status,
      errorClass: failure.code,
      latencyMs: performance.now() - clock.started,
      ttftMs: clock.ttftMs,
      usage: NO_USAGE,
      answer: null,
    });
  }
}

self.onmessage = (event: MessageEvent<ShadowThreadRequest>) => {
  const { copies, aborts } = event.data;
  for (const id of aborts) {
    const controller = flights.get(id);
    flights.delete(id);
    controller?.abort();
  }
  for (const copy of copies) void send(copy);
};
