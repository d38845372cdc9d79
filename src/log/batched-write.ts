import { writeSync } from "node:fs";
import type { LineFormat, LineParts } from "./line-format.ts";
import type { LogFields, LogLevel } from "./logger.ts";

/** How long a line may wait for others before the batch is written (docs/OBSERVABILITY.md). */
export const GATHER_MS = 10;
/** A batch of this many lines is written at once rather than at the bound (~64 KB of access lines). */
export const GATHER_MAX_LINES = 256;

/** Lines waiting for their batch's write, in the order they were logged. */
export interface LineBatch {
  /**
   * A line kept as what it is made of and formatted only when its batch is written, up to
   * `GATHER_MS` later: `fields` and its values must not change after the call (strings, numbers
   * and booleans cannot; the logger formats a line whose fields hold an object at once).
   */
  later(time: string, level: LogLevel, message: string, fields: LogFields | undefined, soon: boolean): void;
  /** A line formatted already. */
  text(line: string, soon: boolean): void;
}

/**
 * Lines to stderr, gathered for up to `GATHER_MS` and written together. One write per access
 * line cost 10–20 µs each (more when stderr is a pipe, as under systemd or Kubernetes), the
 * largest single cost on the request path; once per event-loop turn it was still one write a
 * request when requests come one at a time (c=1: ~7 % of the event loop), so lines now wait
 * for a short bound (or until `GATHER_MAX_LINES` are pending) and a write carries every line of it.
 * A line written `soon` (the logger's warnings and errors: an operator or a test may be waiting
 * for one) still goes at the end of the current turn, with every line pending before it.
 * Lines still pending when the process exits — an orderly exit, a signal the gateway handles,
 * an uncaught exception — are written synchronously, so none is lost; a `kill -9` can lose at
 * most the last `GATHER_MS` of lines. The timer is unref'd: pending lines never hold the
 * process open (the exit handler writes them).
 *
 * Lines are formatted here, all of a batch in one pass and one `join`, rather than each as it is
 * logged: the access line's formatting ran cold once a request between other code (~6 % of the
 * event loop's samples at c=32, session 16), and one join a line made a string that lived only
 * until this batch's join copied it.
 */
export function batchedWrite(
  format: LineFormat,
  write: (text: string) => void = (text) => process.stderr.write(text),
  writeNow: (text: string) => void = (text) => writeSync(2, text),
  gatherMs: number = GATHER_MS,
): LineBatch {
  // One pending line a slot of each (no object a line); a level of undefined marks a line whose
  // text is in `times` already. Emptied in place after every batch.
  const times: string[] = [];
  const levels: (LogLevel | undefined)[] = [];
  const messages: string[] = [];
  const fieldsOf: (LogFields | undefined)[] = [];
  const parts: LineParts = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let turnEnd = false;
  const render = (): string => {
    let n = 0;
    for (let i = 0; i < times.length; i++) {
      const time = times[i] as string;
      const level = levels[i];
      if (level === undefined) parts[n++] = time;
      else n = format(parts, n, time, level, messages[i] as string, fieldsOf[i]);
    }
    parts.length = n;
    pendingAtExit.delete(batch);
    const text = parts.join("");
    parts.length = 0;
    times.length = 0;
    levels.length = 0;
    messages.length = 0;
    fieldsOf.length = 0;
    return text;
  };
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    turnEnd = false;
    if (times.length > 0) write(render());
  };
  const writeAtExit = () => {
    if (timer !== undefined) clearTimeout(timer);
    if (times.length === 0) return;
    try {
      writeNow(render());
    } catch {
      // stderr is gone (closed pipe): nothing left to tell.
    }
  };
  const pend = (soon: boolean) => {
    if (times.length === 1) writeAtProcessExit(batch);
    if (times.length >= GATHER_MAX_LINES) flush();
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
  const batch: LineBatch & ExitWriter = {
    writeAtExit,
    later(time, level, message, fields, soon) {
      times.push(time);
      levels.push(level);
      messages.push(message);
      fieldsOf.push(fields);
      pend(soon);
    },
    text(line, soon) {
      times.push(line);
      levels.push(undefined);
      messages.push("");
      fieldsOf.push(undefined);
      pend(soon);
    },
  };
  return batch;
}

/** A batch's last word: its pending lines, written synchronously. */
interface ExitWriter {
  writeAtExit(): void;
}

/**
 * The batches with lines pending, whose lines the exit writes: one exit listener for every batch,
 * where each batch (each logger: a gateway embedded, stopped and made again) added its own for the
 * life of the process. A batch is held here only from its first pending line to its write.
 */
const pendingAtExit = new Set<ExitWriter>();
let exitHooked = false;

function writeAtProcessExit(batch: ExitWriter): void {
  pendingAtExit.add(batch);
  if (exitHooked) return;
  exitHooked = true;
  // An orderly exit, a handled signal or an uncaught exception: the lines still pending.
  process.once("exit", () => {
    for (const pending of pendingAtExit) pending.writeAtExit();
  });
}
