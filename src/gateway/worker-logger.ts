import type { Logger } from "../log/logger.ts";
import type { WorkerLog } from "../workers/worker-log.ts";

/** Adapts worker-tunnel log calls to the process logger (debug lines are dropped). */
export function workerLogger(logger: Logger): WorkerLog {
  return (level, message, fields) => {
    if (level === "debug") return;
    const detail = fields
      ? ` ${Object.entries(fields)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(" ")}`
      : "";
    logger[level](`${message}${detail}`);
  };
}
