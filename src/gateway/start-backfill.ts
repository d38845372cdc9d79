import { describeError } from "../core/describe-error.ts";
import type { Logger } from "../log/logger.ts";
import type { Storage } from "../storage/storage.ts";

/**
 * Rows an upgrade's migrations left to fill are filled while the node serves (the stores read
 * them meanwhile), never before it starts: a rolling upgrade's nodes would each wait for them.
 * Started once nothing is left to fail, so a failed start leaves no backfill running on the
 * storage its undo closed. Its failure is told, never left unhandled, which would end the process.
 */
export function startBackfill(storage: Storage, logger: Logger): void {
  storage.backfill?.(logger).catch((error: unknown) =>
    logger.error("storage backfill failed; the node serves on, and its next start runs the backfill again", {
      error: describeError(error),
    }),
  );
}
