import type { Config } from "../config/config-schema.ts";
import type { RequestObserver } from "../http/request-ledger.ts";
import type { Logger } from "../log/logger.ts";
import { accessLog } from "./access-log.ts";

/**
 * What operators see of the gateway beside its answers: the access log, and (when configured)
 * metrics and traces. Built once by the composition root; call sites only see the observer
 * interfaces it hands out, which cost nothing when a concern is off.
 */
export interface Telemetry {
  /** Wraps the request observer (audit) so every finished request is also logged and counted. */
  observe(inner: RequestObserver): RequestObserver;
}

export interface TelemetryOptions {
  readonly config: Config;
  readonly logger: Logger;
}

export function createTelemetry(options: TelemetryOptions): Telemetry {
  const logRequest = accessLog(options.logger);
  return {
    observe: (inner) => ({
      started: (ledger) => inner.started(ledger),
      finished(record, principal, error) {
        inner.finished(record, principal, error);
        logRequest(record, error);
      },
    }),
  };
}
