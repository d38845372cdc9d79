/** A running thing to benchmark: a base URL (no `/v1`), headers every request carries, and its process. */
export interface RunningTarget {
  url: string;
  headers: Record<string, string>;
  /** The process to measure RSS of, when the target is its own process. */
  pid?: number;
  /** The `mindgw worker` process, for targets served through the tunnel. */
  workerPid?: number;
  /** For targets that mirror requests (issue 15): their shadow upstream, and how many copies ran. */
  shadow?: {
    /** The shadow upstream's process: its CPU is not the gateway's, but shares the machine. */
    readonly upstreamPid: number;
    /** Copies the shadow upstream answered, and copies the gateway shed, since start. */
    counts(): Promise<{ answered: number; shed: number }>;
  };
  stop(): Promise<void>;
}

/**
 * One column of the benchmark. Later scenarios (auth on/off, audit on/off, worker route vs
 * direct) are more targets with their own config; `run.ts` treats them all alike.
 */
export interface Target {
  name: string;
  start(): Promise<RunningTarget>;
}
