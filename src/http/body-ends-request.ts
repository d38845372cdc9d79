import { clientClosed, type GatewayError, toGatewayError } from "../core/gateway-error.ts";
import type { Shutdown } from "./shutdown.ts";

/** A deferred request's end (`Guarded.deferEnd`). */
type End = (status: number, error?: GatewayError) => void;

/**
 * `source` as a response body the request ends with, for a handler whose answer is produced as the
 * client reads it (an audit export, a page of rows at a time): its record, latency and place in
 * flight are the body's, so a stop's drain waits for it as for any request. Read to its end: 200.
 * Its client gone (the body cancelled): 499. Its read failing, or a stop's drain deadline passing
 * (`open`), errors the body: the client sees a transfer cut short, never a shorter answer that
 * reads as whole, and the record keeps why.
 */
export function bodyEndsRequest(
  source: ReadableStream<Uint8Array>,
  end: End,
  open: Shutdown | undefined,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let ended = false;
  let release: (() => void) | undefined;
  /** Ends the request once; false when it had ended already. */
  const finish = (status: number, error?: GatewayError): boolean => {
    if (ended) return false;
    ended = true;
    release?.();
    end(status, error);
    return true;
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        release = open?.hold((reason) => {
          if (!finish(reason.status, reason)) return;
          controller.error(reason);
          reader.cancel(reason).catch(() => undefined);
        });
      },
      async pull(controller) {
        try {
          const next = await reader.read();
          if (ended) return;
          if (next.done) {
            controller.close();
            finish(200);
          } else controller.enqueue(next.value);
        } catch (error) {
          if (ended) return;
          controller.error(error);
          const failure = toGatewayError(error);
          finish(failure.status, failure);
        }
      },
      cancel(reason) {
        finish(499, clientClosed());
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
