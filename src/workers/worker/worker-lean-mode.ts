import { type LeanMode, leanMode } from "../../providers/http/upstream-fetch.ts";

/**
 * Which upstream client `mindgw worker` uses: as the gateway, every plain-http call on the lean
 * client (a worker's loop has time to spare, and what counts on a shared machine is the process's
 * whole CPU: the lean client on the loop's own sockets skips the hops to and from Bun's HTTP
 * thread, docs/BENCHMARKS-HISTORY.md, "Session 6: the tunnel"), unless `MINDGW_UPSTREAM_CLIENT`
 * asks otherwise (`fetch`, `auto`); `thread` is the gateway's alone (a worker has no use for it).
 */
export function workerLeanMode(env: Record<string, string | undefined> = process.env): LeanMode {
  const client = env.MINDGW_UPSTREAM_CLIENT;
  return client === "fetch" || client === "auto" ? leanMode(env) : "all";
}
