/**
 * Epoch ms that NTP never steps: the wall time at the process's start advanced by the monotonic
 * clock. For what times a wait within one process (a cooldown, an order of its own writes) and
 * keeps 0 for "never": `performance.now()` starts near 0 at every start, so "0 ms ago" would read
 * as "just now".
 */
export const steadyClock = (): number => performance.timeOrigin + performance.now();
