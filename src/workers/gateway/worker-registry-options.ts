import type { GatewayEvent } from "../../audit/gateway-event.ts";
import type { NewlyServedCause } from "../../routing/probe-newly-served.ts";
import type { WorkerLog } from "../worker-log.ts";
import type { RegisteredWorker } from "./registered-worker.ts";
import type { EjectionPolicy } from "./worker-ejection.ts";

/** Options for the gateway's registry of connected workers. */
export interface WorkerRegistryOptions {
  onEvent?: (event: GatewayEvent) => void;
  log?: WorkerLog;
  /** Injected clock, for tests. */
  now?: () => number;
  /** How often a worker sends a heartbeat (told to it in `registered`). */
  heartbeatMs?: number;
  /** A worker silent for longer than this is removed. */
  heartbeatTimeoutMs?: number;
  /** When a worker whose model server keeps failing is passed over (default DEFAULT_EJECTION). */
  ejection?: EjectionPolicy;
  /**
   * Which of a worker's models the config routes elsewhere (by name, alias or glob): requests for
   * them never reach a worker. Asked at registration (a warning) and at each listing (the config
   * may have changed since).
   */
  shadowedModels?: (worker: RegisteredWorker) => readonly string[];
  /**
   * Models a worker not draining has just begun to serve, and why: a new connection's
   * (`registered`), or those its key's widened allow-list lets it serve now (`key_widened`). Not a
   * worker's that replaces its own connection under its name (the same worker registering again
   * serves nothing new). The gateway lets each model's route be probed at once, by that worker
   * (probe-newly-served.ts): a breaker that every worker before it opened would otherwise refuse
   * the newcomer its model for the rest of its cooldown.
   */
  newlyServed?: (worker: RegisteredWorker, models: readonly string[], cause: NewlyServedCause) => void;
}
