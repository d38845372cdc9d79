import { writeSync } from "node:fs";
import type { Logger } from "../log/logger.ts";
import { EXIT } from "./exit-code.ts";
import { serverLogger } from "./server-logger.ts";

/** Where a command writes: stdout and stderr, or a test's stand-in. */
interface Output {
  on(event: "error", listener: (error: NodeJS.ErrnoException) => void): unknown;
  readonly isTTY?: boolean;
}

/**
 * The reader is gone: a closed pipe (EPIPE), or a terminal hung up (EIO on a tty: its window
 * closed, `mindgw tail`'s view ending on the SIGHUP that follows, whose last writes fail so).
 */
const readerGone = (stream: Output, error: NodeJS.ErrnoException) =>
  error.code === "EPIPE" || (error.code === "EIO" && stream.isTTY === true);

/**
 * What a command does when the reader of its output goes away (`mindgw config check | head`, a
 * terminal closed): the next write fails with EPIPE (EIO on a terminal), emitted as an `error`
 * event that, left unhandled, ends the process with a stack trace and exit 1.
 * - `"end"`: a command whose output is its work ends at once with 0, as `mindgw tail --json` does:
 *   the reader has what it wanted. (Not 141, a shell's code for a SIGPIPE death: under
 *   `set -o pipefail` it would fail a pipeline that did what it meant to, and the contract's
 *   codes are 0, 1 and 2.)
 * - `"ignore"`: a server (`serve`, `worker`) keeps serving; its output is a banner, not its work.
 * Any other write error (a full disk): `"end"` says so in one line and ends with 1, the output being
 * incomplete; `"ignore"` says so in one line, once a stream, and serves on: a gateway must not stop
 * for its log sink (thrown, it was a stack trace in the log at each failed stream). A server says
 * it through its logger once it has one (server-logger.ts: in `log.format` and at warn, where a
 * plain line broke a JSON log); before it, as a plain line on stderr. `streams`:
 * stdout first. `policy` may be a function, asked at each failure: the
 * CLI holds one from the start, for what runs no command (`--help`, `--version`, a usage error),
 * and the command it runs chooses (run-cli.ts).
 */
export function onClosedOutput(
  policy: ClosedOutputPolicy | (() => ClosedOutputPolicy),
  streams: readonly Output[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
  say: (line: string) => void = (line) => void writeSync(2, line),
  logger: () => Logger | undefined = serverLogger,
): void {
  const now = typeof policy === "function" ? policy : () => policy;
  for (const [i, stream] of streams.entries()) {
    const what = i === 0 ? "the output" : "to stderr";
    let said = false;
    const sayOnce = (line: string) => {
      if (said) return;
      said = true;
      try {
        say(line);
      } catch {
        // stderr is what failed: the exit code, or the log's silence, says it.
      }
    };
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (now() === "ignore") {
        if (readerGone(stream, error)) return;
        const why = `cannot write ${what}: ${error.message}; serving on without it`;
        const log = logger();
        if (!log) sayOnce(`mindgw: ${why}\n`);
        else if (!said) {
          said = true;
          // A failed stderr fails this line too: its own error is heard here, and said is set.
          log.warn(why);
        }
        return;
      }
      if (readerGone(stream, error)) {
        exit(EXIT.ok);
        return;
      }
      // Thrown from here, it was a stack trace, and it kept the command's own error listener from
      // hearing of it: `audit export > /dev/full` then waited forever on a stream that was gone.
      sayOnce(`mindgw: cannot write ${what}: ${error.message}\n`);
      exit(EXIT.failure);
    });
  }
}

/** What a closed output does to the process (`onClosedOutput`). */
export type ClosedOutputPolicy = "end" | "ignore";
