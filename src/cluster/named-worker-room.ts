import type { NoWorker } from "../workers/gateway/no-worker.ts";
import type { RegisteredWorker } from "../workers/gateway/registered-worker.ts";

/**
 * Why the worker a forward names takes no new call for `model`, as the registry's `pick` would
 * pass it over: it no longer serves the model (its key narrowed, or it registered again with
 * fewer), it drains, or it is full (undefined: it takes it). The calling node chose it from the
 * directory it read up to a heartbeat ago; one that changed since is refused by the holding node
 * in a local caller's words (worker-provider.ts `noWorkerTakes`), over a peer link
 * (frame-switch.ts) and over HTTP (forward-endpoint.ts) alike, not sent on for the worker to
 * refuse in its own, nor to pass to an upstream its key no longer permits.
 */
export function whyNamedTakesNone(
  worker: Pick<RegisteredWorker, "models" | "draining" | "inFlight" | "capacity">,
  model: string,
): NoWorker | undefined {
  if (!worker.models.includes(model)) return "not_served";
  if (worker.draining) return "draining";
  return worker.inFlight >= worker.capacity ? "full" : undefined;
}
