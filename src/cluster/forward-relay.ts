// How POST /cluster/v1/forward (forward-endpoint.ts) hands a worker's streamed answer back.
import type { ForwardCut } from "./forward-cancels.ts";

/**
 * The worker's body, `first` read already, the rest one pull at a time: from here the worker stops
 * when it is cancelled, by the other node leaving (its relay cancelled: `closed`) or by its cancel.
 */
export function relay(
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
  first: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>> | undefined,
  forward: ForwardCut,
): ReadableStream<Uint8Array> | null {
  if (reader === undefined) {
    forward.done();
    return null;
  }
  let held = first;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = held ?? (await reader.read());
          held = undefined;
          if (chunk.done) {
            forward.done();
            controller.close();
          } else controller.enqueue(chunk.value);
        } catch (error) {
          forward.done();
          controller.error(error);
        }
      },
      async cancel(reason) {
        forward.done();
        forward.closed();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
