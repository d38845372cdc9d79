import { writeSync } from "node:fs";

/** How long a line may wait for others before the batch is written (docs/OBSERVABILITY.md). */
export const GATHER_MS = 10;
/** A batch this large (UTF-16 code units) is written at once rather than at the bound. */
export const GATHER_MAX_CHARS = 64 * 1024;

/**
 * Lines to stderr, gathered for up to `GATHER_MS` and written together. One write per access
 * line cost 10–20 µs each (more when stderr is a pipe, as under systemd or Kubernetes), the
 * largest single cost on the request path; once per event-loop turn it was still one write a
 * request when requests come one at a time (c=1: ~7 % of the event loop), so lines now wait
 * for a short bound (or until 64 K characters are pending) and a write carries every line of it.
 * A line written `soon` (the logger's warnings and errors: an operator or a test may be waiting
 * for one) still goes at the end of the current turn, with every line pending before it.
 * Lines still pending when the process exits — an orderly exit, a signal the gateway handles,
 * an uncaught exception — are written synchronously, so none is lost; a `kill -9` can lose at
 * most the last `GATHER_MS` of lines. The timer is unref'd: pending lines never hold the
 * process open (the exit handler writes them).
 */
export function batchedWrite(
  write: (text: string) => void = (text) => process.stderr.write(text),
  writeNow: (text: string) => void = (text) => writeSync(2, text),
  gatherMs: number = GATHER_MS,
): (line: string, soon?: boolean) => void {
  const pending: string[] = [];
  let pendingChars = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let turnEnd = false;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    turnEnd = false;
    if (pending.length === 0) return;
    // One array for the process, emptied in place: no new array per batch.
    const text = pending.length === 1 ? (pending[0] as string) : pending.join("");
    pending.length = 0;
    pendingChars = 0;
    write(text);
  };
  process.once("exit", () => {
    if (timer !== undefined) clearTimeout(timer);
    if (pending.length === 0) return;
    const text = pending.join("");
    pending.length = 0;
    try {
      writeNow(text);
    } catch {
      // stderr is gone (closed pipe): nothing left to tell.
    }
  });
  return (line, soon) => {
    pending.push(line);
    pendingChars += line.length;
    if (pendingChars >= GATHER_MAX_CHARS) flush();
    else if (soon) {
      if (!turnEnd) {
        turnEnd = true;
        setImmediate(flush);
      }
    } else if (timer === undefined) {
      timer = setTimeout(flush, gatherMs);
      timer.unref();
    }
  };
}
