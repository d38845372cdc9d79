import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";

/** Resolves on `event`, rejects on `error`, and leaves no listener behind either way. */
function settle(sink: Writable, event: "drain" | "finish"): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      sink.off("error", failed);
      resolve();
    };
    const failed = (error: unknown) => {
      sink.off(event, done);
      reject(error);
    };
    sink.once(event, done);
    sink.once("error", failed);
  });
}

/**
 * Writes chunks to a file or stdout, waiting for `drain` whenever the destination is behind,
 * so at most about one chunk is held however large the export: constant memory.
 */
export async function writeChunks(
  chunks: AsyncIterable<string | Uint8Array>,
  output?: string,
): Promise<void> {
  const sink: Writable = output === undefined ? process.stdout : createWriteStream(output);
  let failure: unknown = null;
  const onError = (error: unknown) => {
    failure ??= error;
  };
  sink.on("error", onError);
  try {
    for await (const chunk of chunks) {
      if (failure !== null) break;
      if (!sink.write(chunk)) await settle(sink, "drain");
    }
    if (output !== undefined && failure === null) {
      const finished = settle(sink, "finish");
      sink.end();
      await finished;
    }
  } finally {
    sink.off("error", onError);
  }
  if (failure !== null) throw failure;
}
