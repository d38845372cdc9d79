/**
 * Passes a byte stream through unchanged and calls `done` once when it ends, fails or the
 * client cancels it. Pull-based, so a slow client still applies backpressure to the source.
 */
export function whenDone(source: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let called = false;
  const finish = () => {
    if (called) return;
    called = true;
    done();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await reader.read();
          if (next.done) {
            controller.close();
            finish();
          } else {
            controller.enqueue(next.value);
          }
        } catch (error) {
          controller.error(error);
          finish();
        }
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
