import { type LeanMode, leanMode } from "../../providers/http/upstream-fetch.ts";

/**
 * Which upstream client `mindgw worker` uses. Unlike the gateway, whose event loop is what bounds
 * its throughput (so native `fetch`, whose socket work runs on Bun's HTTP thread, serves it best
 * under load), a worker's loop has time to spare, and what counts on a shared machine is the
 * process's whole CPU: the lean client on the loop's own sockets skips the hops to and from the
 * HTTP thread (docs/BENCHMARKS-HISTORY.md, "Session 6: the tunnel"). So every plain-http call takes the
 * lean client, unless `MINDGW_UPSTREAM_CLIENT` asks otherwise (`fetch`, `auto`).
 */
export function workerLeanMode(env: Record<string, string | undefined> = process.env): LeanMode {
  const client = env.MINDGW_UPSTREAM_CLIENT;
  return client === "fetch" || client === "auto" ? leanMode(env) : "all";
}
