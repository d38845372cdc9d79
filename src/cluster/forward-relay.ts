// How POST /cluster/v1/forward (forward-endpoint.ts) hands a worker's streamed answer back.

/**
 * The worker's body, `first` read already, the rest one pull at a time; cancelled (the other node
 * left), the worker is (`closed`).
 */
export function relay(
  reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
  first: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>> | undefined,
  closed: () => void,
  done: () => void,
): ReadableStream<Uint8Array> | null {
  if (reader === undefined) {
    done();
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
            done();
            controller.close();
          } else controller.enqueue(chunk.value);
        } catch (error) {
          done();
          controller.error(error);
        }
      },
      async cancel(reason) {
        done();
        closed();
        await reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}
