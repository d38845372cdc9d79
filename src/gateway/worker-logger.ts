import type { Logger } from "../log/logger.ts";
import type { WorkerLog } from "../workers/worker-log.ts";

/** Adapts worker-tunnel log calls to the process logger; their fields stay structured. */
export function workerLogger(logger: Logger): WorkerLog {
  return (level, message, fields) => logger[level](message, fields);
}
