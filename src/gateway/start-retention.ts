import type { Config } from "../config/config-schema.ts";
import { CONTAINER_RECORD_MS } from "../http/containers-in-scope.ts";
import type { Logger } from "../log/logger.ts";
import { type RepeatEvery, startResponseRetention } from "../storage/response-retention.ts";
import type { Storage } from "../storage/storage.ts";

/** The retention passes' stops, for the composition root to stop with the gateway. */
export interface RetentionStops {
  readonly responses: () => void;
  /** Nothing to stop where the storage keeps no shadow pairs. */
  readonly shadowPairs: () => void;
  /** Nothing to stop where the response store keeps no container record. */
  readonly containers: () => void;
}

/**
 * Stored responses, shadow pairs where the storage keeps them, and the record of scopes' containers
 * where the response store keeps one, pruned past their retention until stopped. `every`: tests
 * run the passes themselves.
 */
export function startRetention(
  storage: Pick<Storage, "responses" | "shadow">,
  config: Config,
  logger: Logger,
  every?: RepeatEvery,
): RetentionStops {
  const failed = (rows: string) => (error: unknown) =>
    logger.warn(`pruning ${rows} failed: ${error instanceof Error ? error.message : "error"}`);
  const { responses, shadow } = storage;
  const retain = (store: Parameters<typeof startResponseRetention>[0], ms: number, rows: string) =>
    startResponseRetention(store, ms, failed(rows), Date.now, every);
  return {
    responses: retain(responses, config.storage.responses_retention, "stored responses"),
    shadowPairs: shadow ? retain(shadow, config.shadow.retention, "shadow pairs") : () => {},
    // Apart from its writes, which an answer waits for: a pass a minute (a quarter of the day,
    // capped) clears every entry not seen for a day, so the record holds the last day's entries
    // and at most a minute's more.
    containers: responses.forgetContainers
      ? retain(
          { prune: (before, limit) => responses.forgetContainers?.(before, limit) ?? Promise.resolve(0) },
          CONTAINER_RECORD_MS,
          "the container record",
        )
      : () => {},
  };
}
