import type { GatewayEvent } from "../audit/gateway-event.ts";
import type { Config } from "../config/config-schema.ts";
import { restartRequired } from "../config/restart-only.ts";
import type { ConfigWatchHandlers } from "../config/watch-config.ts";
import type { Logger } from "../log/logger.ts";
import type { RuntimeHolder } from "./runtime.ts";

export interface ReloadDeps {
  readonly runtime: RuntimeHolder;
  /** Parts that keep state across versions and take the new config in place (limits, breakers). */
  readonly reconfigure: readonly ((config: Config) => void)[];
  readonly logger: Logger;
  readonly publish: (event: GatewayEvent) => void;
}

export interface ReloadPolicy extends ConfigWatchHandlers {
  /** Why the last change was refused; null once a valid change has been applied. */
  lastError(): string | null;
  /** Restart-only fields edited since start: accepted, but not in effect until a restart. */
  restartRequired(): readonly string[];
}

/**
 * What a config change does while running: a valid one swaps in a new runtime (in-flight requests
 * finish on the old one) and reconfigures the long-lived parts; an invalid one is refused, the old
 * config keeps serving, and the reason is logged, published and shown in the admin status.
 */
export function createReloadPolicy(deps: ReloadDeps): ReloadPolicy {
  let lastError: string | null = null;
  // Compared with the config the process started on: that is what those fields still are.
  const started = deps.runtime.current.config;
  let pending: string[] = [];
  return {
    lastError: () => lastError,
    restartRequired: () => pending,
    onValid(config) {
      const next = deps.runtime.swap(config);
      for (const apply of deps.reconfigure) apply(config);
      lastError = null;
      pending = restartRequired(started, config);
      deps.logger.info(`config reloaded (version ${next.version})`);
      if (pending.length > 0)
        deps.logger.warn(
          `config reloaded, but restart required for: ${pending.join(", ")} (still as at start)`,
        );
      deps.publish({ type: "config.reloaded", at: Date.now(), version: next.version });
    },
    onHeld(reason) {
      deps.logger.warn(`config change held: ${reason}`);
    },
    onInvalid(error) {
      lastError = error.message;
      deps.logger.error(`config change rejected, still serving the previous config:\n${error.message}`);
      deps.publish({ type: "config.rejected", at: Date.now(), error: error.message });
    },
  };
}
