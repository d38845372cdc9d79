import type { GatewayError } from "../core/gateway-error.ts";

/**
 * How a provider that chooses among workers (`Provider.select`) judges the failure of the one it
 * chose, for the router (routing/worker-repicks.ts, try-route.ts): the worker's own or the route's,
 * and whether the worker may take the call again. Other providers have none of these.
 */
export interface WorkerFaults {
  /**
   * For one upstream `select` chose: whether `failure` is that upstream's own (a worker whose model
   * server is down), judged by the provider that chose it (the worker registry takes such a worker
   * out of rotation) and so not counted against the route's breaker, which covers every upstream.
   */
  ownFault?(failure: GatewayError): boolean;
  /**
   * For a worker on another node `select` chose: when `failure` says its node lost its connection
   * to a newer one registered there under its name (a restart while the old one hung on), which
   * holds the name now, that loss in its node's words (the attempt is recorded as it, whatever
   * refusal of another node `failure` tells); undefined otherwise. The call may go to the new
   * connection, through the same node, as to another worker.
   */
  lostToRestart?(failure: GatewayError): GatewayError | undefined;
}
