import { describeError } from "../core/describe-error.ts";
import { withoutSecrets } from "../core/without-secrets.ts";
import type { Logger } from "../log/logger.ts";

/** An error's stack as the log may hold it: credentials in its message redacted; none for a value without one. */
function stackOf(error: unknown): string | undefined {
  try {
    return error instanceof Error && typeof error.stack === "string"
      ? withoutSecrets(error.stack)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A crash of a server (`serve`, `worker`): an uncaught exception or a rejection no one handles is
 * told as one error line of its log, in its format (`log.format: json`: one JSON object, the stack
 * a field of it, where Bun's own report was lines of plain text a JSON pipeline breaks on, with
 * the error's words unredacted), and the process ends with 1, as Bun's default does. No drain: the
 * process's state is no longer known (rows still queued for the audit are lost, as before).
 */
export function logCrashes(
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const crashed = (what: string) => (error: unknown) => {
    logger.error(`${what}, the process ends: ${describeError(error)}`, { stack: stackOf(error) });
    exit(1);
  };
  process.on("uncaughtException", crashed("uncaught exception"));
  process.on("unhandledRejection", crashed("unhandled rejection"));
}
