/**
 * How long a process the suite starts (a gateway, a worker up to its registration, the fake
 * upstream, redis-server) may take to be ready before it counts as failed. A gateway's start is
 * ~0.3 s of CPU (0.23-0.38 s, all threads): 0.4-1.2 s of wall time on the shared machine at load
 * ~11, 1.9-6.5 s with six CPU hogs added, and it overran the waits' default 10 s twice at load
 * 13-15 (s25-flakes, docs/BENCHMARKS-HISTORY.md). A worker is the same binary, and it also probes
 * its upstream and registers: 3.1-11.2 s from spawn to listed at load 30 (s65). Honest work starved
 * of CPU, not a hang, which this still catches.
 */
export const START_BOUND_MS = 30_000;
