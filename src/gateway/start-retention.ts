import type { Config } from "../config/config-schema.ts";
import type { Logger } from "../log/logger.ts";
import { startResponseRetention } from "../storage/response-retention.ts";
import type { Storage } from "../storage/storage.ts";
import type { BuiltSoFar } from "./built-so-far.ts";

/** Stored responses, and shadow pairs where the storage keeps them, pruned past their retention until the gateway stops. */
export function startRetention(storage: Storage, config: Config, logger: Logger, built: BuiltSoFar): void {
  const stopResponseRetention = startResponseRetention(
    storage.responses,
    config.storage.responses_retention,
    (error) =>
      logger.warn(`pruning stored responses failed: ${error instanceof Error ? error.message : "error"}`),
  );
  built.made("stored responses' retention", stopResponseRetention);
  const shadowStore = storage.shadow;
  const stopShadowRetention = shadowStore
    ? startResponseRetention(shadowStore, config.shadow.retention, (error) =>
        logger.warn(`pruning shadow pairs failed: ${error instanceof Error ? error.message : "error"}`),
      )
    : () => {};
  built.made("shadow pairs' retention", stopShadowRetention);
}
