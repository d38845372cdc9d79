import { GatewayError, unavailable } from "../../core/gateway-error.ts";
import { namedWorker } from "../../providers/upstream-name.ts";
import type { TunnelErrorCode } from "../protocol.ts";
import { busyRefusal, busyWait, capacityRefusal, drainingRefusal } from "./capacity-refusal.ts";

/**
 * The worker died, or was disconnected (`how`: `was disconnected: its key was revoked`). Always
 * retryable: the router retries only until the first event reaches the client, and a stream whose
 * head arrived may not have sent a byte yet (a model server sends its headers at once and its first
 * token after prefill). Mid-stream the relay turns it into an error event in the caller's dialect.
 */
export function workerLost(worker: string, how = "was lost"): GatewayError {
  const Failure = how === REPLACED ? WorkerReplaced : GatewayError;
  return new Failure({
    status: 502,
    code: "worker_lost",
    message: `${namedWorker(worker)} ${how}`,
    retryable: true,
  });
}

/** How a worker went whose connection a newer one registered under its name replaced (4000). */
export const REPLACED = "was disconnected: a newer connection registered under its name";

/**
 * The worker's connection was replaced by a newer one under its name (`REPLACED`), on this node or
 * as another node said (a peer link's `worker_lost`, an HTTP forward's refusal): that new
 * connection, another process that never had the call, may take it (Provider.lostToRestart). A
 * forward's failure to another node (cluster/forward-call.ts) is of this class when the pinned
 * worker's node said so, whatever its fields tell: every node's refusal ranked (`soonerRefusal`),
 * which the caller hears once the router has sent the call to the new connection.
 */
export class WorkerReplaced extends GatewayError {
  /**
   * The worker's loss to the restart, as its attempt is recorded (Provider.lostToRestart): this
   * failure itself, or the pinned node's own where another node's refusal was ranked over it
   * (`rankedOverRestart`).
   */
  restart: GatewayError = this;
}

/**
 * `told`, the refusal ranked first of every node's a forward tried, as the router must read it
 * when the pinned worker's node said a restart took it (`restart`, in that node's words): the
 * router sends the call to the new connection, and records the attempt as the restart.
 */
export function rankedOverRestart(told: GatewayError, restart: GatewayError): WorkerReplaced {
  const failure = told.with({}, WorkerReplaced);
  failure.restart = restart;
  return failure;
}

/**
 * The worker's own model server failed: the worker could not reach it, or the answer broke off;
 * or the server answered with its own fault, refusing the worker's key or a 5xx (server-fault.ts).
 * That worker's fault, not the route's: `workers/<model>` covers every worker of the model, so
 * the registry judges each worker on these instead (worker-ejection.ts), and the router tries
 * another worker at once and leaves them out of the route's breaker (`Provider.ownFault`) while
 * another worker was left to take the call. Still a 502 in the worker's words.
 */
export class WorkerUpstreamFault extends GatewayError {}

/** The tunnel error codes in which a worker reports its own upstream failing. */
export const isUpstreamFault = (code: TunnelErrorCode) =>
  code === "upstream_unreachable" || code === "upstream_broken";

const DISCONNECTED = "was disconnected: ";

/**
 * How a peer's worker went, from the peer's words past the worker's name as it names it
 * (`worker w1 was disconnected: its key was revoked`); undefined for a worker lost there. Read
 * past the name, not searched for: a name is any text, ` was disconnected: ` too. `worker` is
 * that name and `@<node>`; a node's name may hold an `@` as well, so each `@` is tried: only the
 * name's is followed by a space in the peer's words.
 */
function disconnectedHow(worker: string, message: string): string | undefined {
  const named = namedWorker("");
  if (!message.startsWith(named)) return undefined;
  for (let at = worker.lastIndexOf("@"); at > 0; at = worker.lastIndexOf("@", at - 1)) {
    const name = worker.slice(0, at);
    if (!message.startsWith(`${name} `, named.length)) continue;
    const how = message.slice(named.length + name.length + 1);
    return how.startsWith(DISCONNECTED) ? how : undefined;
  }
  return undefined;
}

/**
 * What an exchange fails with when the tunnel reports an error for it (`TunnelStream.onError`);
 * `retryAfter`, a peer link's refusal's.
 */
export function tunnelFailure(
  worker: string,
  code: TunnelErrorCode,
  message: string,
  retryAfter?: string,
): GatewayError {
  // Over a peer link: the worker behind the other node was lost, or disconnected as that node says.
  if (code === "worker_lost") return workerLost(worker, disconnectedHow(worker, message));
  // Over a peer link: no worker there took it, busy (or draining: the node says when to come back).
  if (code === "unavailable") return busyRefusal(message, busyWait(retryAfter));
  if (code === "no_route_available") return unavailable(message, code);
  return workerError(worker, code, message);
}

function workerError(worker: string, code: TunnelErrorCode, message: string): GatewayError {
  // A worker that is full or draining is busy, not failing: `unavailable`, which the router fails
  // over without counting it against the route's breaker (a burst past one worker's concurrency,
  // sent with a node's load a heartbeat old, must not take the model off every worker).
  if (code === "over_capacity") return capacityRefusal(`${namedWorker(worker)}: ${message}`);
  if (code === "draining") return drainingRefusal(`${namedWorker(worker)}: ${message}`);
  if (isUpstreamFault(code))
    return new WorkerUpstreamFault({
      status: 502,
      code: "upstream_error",
      message: `${namedWorker(worker)}: ${message}`,
      retryable: true,
    });
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${namedWorker(worker)}: ${message}`,
    retryable: code !== "internal",
  });
}
