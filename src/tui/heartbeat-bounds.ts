/**
 * How often the gateway hears a worker's heartbeat, and how long it waits for a sign of life before
 * it removes the worker (its `workers.heartbeat_timeout`, the heartbeat a third of it), as its
 * workers list says them.
 */
export interface HeartbeatTiming {
  readonly everyMs: number;
  readonly timeoutMs: number;
}

/** The gateway's defaults (`workers.heartbeat_timeout: 30s`), for one whose list does not say. */
export const DEFAULT_HEARTBEATS: HeartbeatTiming = { everyMs: 10_000, timeoutMs: 30_000 };

/** Heartbeats at least this old (ms) read as late, then stale. */
export interface HeartbeatBounds {
  readonly lateMs: number;
  readonly staleMs: number;
}

/**
 * When a worker's last heartbeat reads as late (two heartbeats missed) and stale (the gateway's
 * whole timeout: it is about to be removed), as a pane that reads the workers list every
 * `readEveryMs` sees it: a heartbeat it has not read yet is up to one read old.
 */
export const heartbeatBounds = (timing: HeartbeatTiming, readEveryMs: number): HeartbeatBounds => ({
  lateMs: 2 * timing.everyMs + readEveryMs,
  staleMs: timing.timeoutMs + readEveryMs,
});
