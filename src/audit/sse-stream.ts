import { encodeSse } from "../core/sse.ts";
import type { Subscription } from "./event-bus.ts";
import type { GatewayEvent, NodeUnanswered } from "./gateway-event.ts";

export interface SseStreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  keepAliveMs?: number;
  /**
   * The stream opens (its headers and first line go out) once this settles; what it gives is sent
   * first, before any event of the subscription.
   */
  opensAfter?: Promise<readonly NodeUnanswered[] | undefined>;
  /** Each event as this reader may read it (a tenant's admin: tenants/worker-seen.ts); as published when absent. */
  shown?: (event: GatewayEvent) => { readonly type: string };
}

const KEEP_ALIVE = ": keep-alive\n\n";
/** Sent first: the response (headers included) goes out now, not at the first event. */
const OPENED = ": connected\n\n";

/**
 * A subscription as an SSE body (`event: <type>`, `data: <json>`). The stream pulls one event
 * at a time, so a client that reads slowly leaves events in the subscription's bounded buffer
 * (where they are counted as missed) rather than in an unbounded stream queue. Cancelling the
 * stream (the client went away) closes the subscription; a dropped subscription ends the stream.
 */
export function sseStream(
  subscription: Subscription,
  options: SseStreamOptions = {},
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let keepAlive: ReturnType<typeof setInterval> | null = null;
  const stop = () => {
    if (keepAlive !== null) clearInterval(keepAlive);
    keepAlive = null;
    subscription.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        const first = await options.opensAfter;
        try {
          // Without a first chunk the server holds back the headers, and a client on an idle
          // gateway (`mindgw tail`) cannot tell "connected" from "still connecting".
          controller.enqueue(encoder.encode(OPENED));
          for (const notice of first ?? [])
            controller.enqueue(
              encoder.encode(encodeSse({ event: notice.type, data: JSON.stringify(notice) })),
            );
        } catch {
          return stop(); // cancelled while it waited to open
        }
        keepAlive = setInterval(() => {
          try {
            controller.enqueue(encoder.encode(KEEP_ALIVE));
          } catch {
            stop(); // the stream is already closed
          }
        }, options.keepAliveMs ?? 15_000);
      },
      async pull(controller) {
        const next = await subscription.next();
        try {
          if (next.done) {
            stop();
            controller.close();
          } else {
            const event = options.shown ? options.shown(next.value) : next.value;
            controller.enqueue(encoder.encode(encodeSse({ event: event.type, data: JSON.stringify(event) })));
          }
        } catch {
          stop(); // cancelled while this pull was waiting
        }
      },
      cancel() {
        stop();
      },
    },
    { highWaterMark: 1 },
  );
}
