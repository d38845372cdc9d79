import { EXIT } from "./exit-code.ts";

/** Where a command writes: stdout and stderr, or a test's stand-in. */
interface Output {
  on(event: "error", listener: (error: NodeJS.ErrnoException) => void): unknown;
}

/**
 * What a command does when the reader of its output goes away (`mindgw config check | head`): the
 * next write fails with EPIPE, emitted as an `error` event that, left unhandled, ends the process
 * with a stack trace and exit 1.
 * - `"end"`: a command whose output is its work ends at once with 0, as `mindgw tail --json` does:
 *   the reader has what it wanted. (Not 141, a shell's code for a SIGPIPE death: under
 *   `set -o pipefail` it would fail a pipeline that did what it meant to, and the contract's
 *   codes are 0, 1 and 2.)
 * - `"ignore"`: a server (`serve`, `worker`) keeps serving; its output is a banner, not its work.
 * Any other write error stays what it was. `policy` may be a function, asked at each failure: the
 * CLI holds one from the start, for what runs no command (`--help`, `--version`, a usage error),
 * and the command it runs chooses (run-cli.ts).
 */
export function onClosedOutput(
  policy: ClosedOutputPolicy | (() => ClosedOutputPolicy),
  streams: readonly Output[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const now = typeof policy === "function" ? policy : () => policy;
  for (const stream of streams)
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      if (now() === "end") exit(EXIT.ok);
    });
}

/** What a closed output does to the process (`onClosedOutput`). */
export type ClosedOutputPolicy = "end" | "ignore";
