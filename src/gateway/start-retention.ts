import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { startResponseRetention } from "../storage/response-retention.ts";
import type { Storage } from "../storage/storage.ts";

/** The retention passes' stops, for the composition root to stop with the gateway. */
export interface RetentionStops {
  readonly responses: () => void;
  /** Nothing to stop where the storage keeps no shadow pairs. */
  readonly shadowPairs: () => void;
}

/** Stored responses, and shadow pairs where the storage keeps them, pruned past their retention until stopped. */
export function startRetention(storage: Storage, config: Config, logger: Logger): RetentionStops {
  const failed = (rows: string) => (error: unknown) =>
    logger.warn(`pruning ${rows} failed: ${error instanceof Error ? error.message : "error"}`);
  const shadowStore = storage.shadow;
  return {
    responses: startResponseRetention(
      storage.responses,
      config.storage.responses_retention,
      failed("stored responses"),
    ),
    shadowPairs: shadowStore
      ? startResponseRetention(shadowStore, config.shadow.retention, failed("shadow pairs"))
      : () => {},
  };
}
