import { createWriteStream, openSync, renameSync, rmSync } from "node:fs";
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
 * so at most about one chunk is held however large the export: constant memory. A file is written
 * as `<output>.partial-<pid>` and renamed over `output` once whole: an export that fails (the
 * gateway unreachable, the key refused, the disk full) leaves an existing file as it was, where
 * opening `output` itself emptied it before the first answer; the partial file is removed.
 */
export async function writeChunks(
  chunks: AsyncIterable<string | Uint8Array>,
  output?: string,
): Promise<void> {
  if (output === undefined) return await pour(chunks, process.stdout);
  const partial = `${output}.partial-${process.pid}`;
  // Opened here, not by the stream (which opens later, on its own): a failure before the first
  // chunk would otherwise remove the file before the stream made it, and leave it behind.
  const file = createWriteStream(partial, { fd: openSync(partial, "w") });
  try {
    await pour(chunks, file);
    const finished = settle(file, "finish");
    file.end();
    await finished;
    renameSync(partial, output);
  } catch (error) {
    file.destroy();
    rmSync(partial, { force: true });
    throw error;
  }
}

/** Every chunk into `sink`, in order; the first error the sink or the chunks raise is thrown. */
async function pour(chunks: AsyncIterable<string | Uint8Array>, sink: Writable): Promise<void> {
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
  } finally {
    sink.off("error", onError);
  }
  if (failure !== null) throw failure;
}
