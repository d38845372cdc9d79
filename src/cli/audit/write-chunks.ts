import {
  chmodSync,
  createWriteStream,
  existsSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, resolve } from "node:path";
import type { Writable } from "node:stream";
import { messageOf } from "../../core/describe-error.ts";
import { UsageError } from "../exit-code.ts";

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
 * so at most about one chunk is held however large the export: constant memory. A regular file
 * (or a new one) is written whole or not at all (`replaceWhole`); anything else already there, a
 * device or a pipe (`-o /dev/stdout`, `-o >(gzip > f)`), is written as it is.
 */
export async function writeChunks(
  chunks: AsyncIterable<string | Uint8Array>,
  output?: string,
): Promise<void> {
  if (output === undefined)
    return await pour(chunks, process.stdout).catch((error: unknown) => {
      throw error instanceof SinkError ? error.cause : error;
    });
  const target = linkTarget(output);
  const found = statSync(target, { throwIfNoEntry: false });
  // The operator's path, said as given: the partial file's name (`.partial-<pid>`) is not theirs.
  if (found?.isDirectory()) throw new UsageError(`-o ${output}: a folder, not a file`);
  if (found === undefined && !existsSync(dirname(target)))
    throw new UsageError(`-o ${output}: no such folder ${dirname(target)}`);
  try {
    if (found !== undefined && !found.isFile()) return await pourAll(chunks, target, openSync(target, "w"));
    await replaceWhole(chunks, target, found?.mode);
  } catch (error) {
    // The file's own failure (a full disk, a device refusing writes) names it as given, not its
    // `.partial-<pid>` nor nothing at all ("ENOSPC: no space left on device, write").
    if (error instanceof SinkError) throw new Error(`-o ${output}: ${messageOf(error.cause)}`);
    throw error;
  }
}

/** How many links are followed to a file not there yet, as the kernel's own limit (ELOOP). */
const MAX_LINKS = 40;

/**
 * The path the export writes: through a symlink to its target, so the link stays and the file it
 * names is written, that file there or not yet (a link made before the first export): renamed
 * over, a link to a missing file was replaced by the export, its target never made.
 */
function linkTarget(output: string): string {
  if (existsSync(output)) return realpathSync(output);
  let path = output;
  for (let hops = 0; hops < MAX_LINKS && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink(); hops++)
    path = resolve(dirname(path), readlinkSync(path));
  return path;
}

/** A write to the export's destination failed: `cause`, the write's own error. */
class SinkError extends Error {}

/**
 * Writes `<output>.partial-<pid>` and renames it over `output` once whole: an export that fails (the
 * gateway unreachable, the key refused, the disk full, Ctrl-C) leaves an existing file as it was,
 * where opening `output` itself emptied it before the first answer, and no partial file behind. The
 * partial file is created new (never through a link left at its name), readable by its owner alone
 * while it holds audit rows; whole, it takes the mode of the file it replaces (a new one's: as any
 * file this process creates).
 */
async function replaceWhole(
  chunks: AsyncIterable<string | Uint8Array>,
  output: string,
  mode = 0o666 & ~process.umask(),
): Promise<void> {
  const partial = `${output}.partial-${process.pid}`;
  // Opened here, not by the stream (which opens later, on its own): a failure before the first
  // chunk would otherwise remove the file before the stream made it, and leave it behind.
  const fd = openSync(partial, "wx", 0o600);
  const removeOnSignal = (signal: NodeJS.Signals) => {
    rmSync(partial, { force: true });
    stopListening();
    process.kill(process.pid, signal);
  };
  const stopListening = () => {
    process.off("SIGINT", removeOnSignal);
    process.off("SIGTERM", removeOnSignal);
  };
  process.once("SIGINT", removeOnSignal);
  process.once("SIGTERM", removeOnSignal);
  try {
    await pourAll(chunks, partial, fd);
    chmodSync(partial, mode & 0o7777);
    renameSync(partial, output);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    stopListening();
  }
}

/**
 * Every chunk into the file open at `fd`, flushed and closed; closed too when a chunk fails. The
 * file's own failure is a `SinkError`, told apart from the chunks' (the gateway's, the store's). A
 * listener for the stream's whole life hears every failure: one raised between the steps below
 * (the rest of a full disk's, "write after a stream was destroyed") is never left unhandled.
 */
async function pourAll(chunks: AsyncIterable<string | Uint8Array>, path: string, fd: number): Promise<void> {
  const file = createWriteStream(path, { fd });
  let failed: unknown = null;
  file.on("error", (error: unknown) => {
    failed ??= error;
  });
  try {
    await pour(chunks, file);
    if (failed === null) {
      const finished = settle(file, "finish");
      file.end();
      await finished.catch(() => {});
    }
    if (failed !== null) throw new SinkError("write failed", { cause: failed });
  } catch (error) {
    file.destroy();
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
      if (!sink.write(chunk))
        await settle(sink, "drain").catch((error: unknown) => {
          throw new SinkError("write failed", { cause: error });
        });
    }
  } finally {
    sink.off("error", onError);
  }
  if (failure !== null) throw new SinkError("write failed", { cause: failure });
}
