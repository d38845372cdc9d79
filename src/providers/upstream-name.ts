import type { GatewayError } from "../core/gateway-error.ts";
import { NoAnswer } from "../core/holds-no-answer.ts";
import { LineTooLong } from "../core/sse.ts";
import { StreamEndedEarly } from "../core/stream-ended-early.ts";

/**
 * How a route's label names a configured provider (`provider:fa`: routing/route-table.ts) and a
 * worker (`worker:w1`, a worker provider's name too: workers/gateway/worker-provider.ts).
 */
const PROVIDER_PREFIX = "provider:";
const WORKER_PREFIX = "worker:";

/**
 * How a message names an upstream — the caller's error, and so the access line's `reason`, the
 * `route failed` line's and the audit row's `error_message`: a configured provider by its name in
 * the config, as the metrics' `provider` label has it (`upstream fa`), a worker by its own, as
 * docs/RELIABILITY.md quotes a worker's errors (`worker w1`; `worker w1@node-2` on another
 * cluster node). Takes a provider's name (`fa`, `worker:w1`) or a route's label (`provider:fa`),
 * so the same upstream reads the same whichever path its failure took (a provider's own read, the
 * router's relay, a timeout). The `route` field keeps the label: a message is read, a field matched.
 */
export function upstreamName(name: string): string {
  const worker = workerOfName(name);
  if (worker !== undefined) return namedWorker(worker);
  if (name.startsWith(PROVIDER_PREFIX)) return `upstream ${name.slice(PROVIDER_PREFIX.length)}`;
  return `upstream ${name}`;
}

/** Whether a provider's name (a stored answer's holder) is a worker's: `worker:w1`. */
export const isWorkerName = (name: string): boolean => name.startsWith(WORKER_PREFIX);

/** A worker's provider name, from its own: `w1` → `worker:w1`. */
export const workerProviderName = (worker: string): string => `${WORKER_PREFIX}${worker}`;

/** The worker a provider's name (or a holder) names, `worker:w1` → `w1`; undefined for any other. */
export const workerOfName = (name: string | undefined): string | undefined =>
  name?.startsWith(WORKER_PREFIX) ? name.slice(WORKER_PREFIX.length) : undefined;

/** A worker as a message names it, from its own name (`w1`, `w1@node-2`): `worker w1`. */
export const namedWorker = (worker: string): string => `worker ${worker}`;

/**
 * `failure` in words that name the upstream that sent it (`provider`, as `upstreamName` takes it),
 * where the code that found it could not: an event-stream line past the bound, found by a scanner
 * that reads bytes, not whose they are; a stream with no answer in it, or one that ended early,
 * found by a translation, which is not told whose stream it reads. Any other failure as it is;
 * only ever on a failure's path.
 */
export function namedFailure(failure: GatewayError, provider: string): GatewayError {
  if (failure instanceof LineTooLong && failure.sender === undefined)
    return new LineTooLong(failure.maxLine, upstreamName(provider));
  if (failure instanceof NoAnswer && failure.sender === undefined)
    return new NoAnswer(upstreamName(provider));
  if (failure instanceof StreamEndedEarly && failure.sender === undefined)
    return new StreamEndedEarly(failure.why, upstreamName(provider));
  return failure;
}
