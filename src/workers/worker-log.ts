/** Where worker-tunnel code writes log lines; the CLI adapts it to the process logger. */
export type WorkerLog = (
  level: "debug" | "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

export const silentLog: WorkerLog = () => {};
