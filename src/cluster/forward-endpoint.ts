import { Elysia } from "elysia";
import { z } from "zod";
import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import { isJsonObject } from "../core/dialect.ts";
import { type ErrorCode, GatewayError, toGatewayError, unavailable } from "../core/gateway-error.ts";
import { TRACEPARENT } from "../core/traceparent.ts";
import { passedOnContext, TRACESTATE } from "../core/tracestate.ts";
import { asResponse } from "../providers/http/feed-response.ts";
import type { Provider } from "../providers/provider.ts";
import { namedWorker } from "../providers/upstream-name.ts";
import { SERVED_BY_HEADER } from "../workers/gateway/tunnel-exchange.ts";
import { WorkerReplaced, WorkerUpstreamFault } from "../workers/gateway/tunnel-failures.ts";
import { noWorkerTakes, workerLabel } from "../workers/gateway/worker-provider.ts";
import type { WorkerRegistry } from "../workers/gateway/worker-registry.ts";
import type { WorkerLog } from "../workers/worker-log.ts";
import { CLUSTER_HEADER, secretCheck } from "./cluster-secret.ts";
import { type DrainCount, holdWhileRunning } from "./drain-hold.ts";
import { ForwardCancels, ForwardCut } from "./forward-cancels.ts";
import { relay } from "./forward-relay.ts";
import { whyNamedTakesNone } from "./named-worker-room.ts";
import { servedByOnWire } from "./served-by-wire.ts";

/** The internal path another node forwards worker requests to. */
export const FORWARD_PATH = "/cluster/v1/forward";
/** Set on a refusal by this node (no worker, worker lost) so the caller can tell it from an upstream's answer. */
export const FORWARD_ERROR_HEADER = "x-mindgw-cluster-error";
/** Where the forwarding node says it left (its client hung up, a timeout fired). */
export const CANCEL_PATH = "/cluster/v1/cancel";
/** Where another node reads or deletes a stored response a worker connected here holds. */
export const STORED_PATH = "/cluster/v1/stored";

/** The client's dialect headers and query string, as the worker tunnel takes them. */
const nativeSchema = z.strictObject({
  headers: z.record(z.string().regex(/^[a-z0-9-]{1,64}$/), z.string().max(4096)),
  query: z.string().max(8192),
  path: z.string().max(256).optional(),
});

const forwardSchema = z.strictObject({
  operation: z.enum(["chat", "completions", "embeddings", "responses"]),
  body: z.record(z.string(), z.unknown()).refine(isJsonObject),
  stream: z.boolean(),
  requestId: z.string().min(1).max(200),
  /** Names this forward for a cancel. */
  forwardId: z.uuid(),
  /**
   * The worker the calling node chose (`Provider.select`): what it serves natively decided how
   * the call was adapted, so no other worker may take it. Absent: any worker serving the model.
   */
  worker: z.string().min(1).max(200).optional(),
  /**
   * The caller's tenant: only a worker a caller of it may use takes the call (its tenant's or the
   * default tenant's). Absent (a node from before): the default tenant's workers only.
   */
  tenant: z.string().max(256).optional(),
  /** A same-dialect call: the client's headers and query string go on to the worker's upstream. */
  native: nativeSchema.optional(),
  /** With `native`: the client's body text (only `model` spliced), so its bytes reach the upstream. */
  bodyText: z.string().optional(),
});
const cancelSchema = z.strictObject({
  forwardId: z.uuid(),
  /**
   * The calling node's longest bound for the wait cut the call before its first byte, as a peer
   * link's cancel says it: the worker's server is judged here by it. Absent: the caller left.
   */
  timedOut: z.literal(true).optional(),
});
const storedSchema = z.strictObject({
  worker: z.string().min(1).max(200),
  /** As a forward's: a worker of a tenant the caller may not use holds nothing of its. */
  tenant: forwardSchema.shape.tenant,
  method: z.enum(["GET", "DELETE"]),
  path: z.string().min(1).max(512),
  query: z.string().max(8192),
  headers: nativeSchema.shape.headers,
  requestId: z.string().min(1).max(200),
});
export type ForwardRequest = z.infer<typeof forwardSchema>;
export type ForwardCancel = z.infer<typeof cancelSchema>;
export type StoredRequest = z.infer<typeof storedSchema>;

/** The calling node's trace context, from the forward's headers: passed on as it came, when well-formed. */
const callerContext = (headers: Headers) =>
  passedOnContext(headers.get(TRACEPARENT), headers.get(TRACESTATE));

/**
 * A request to a node-to-node endpoint without `cluster.secret`. Thrown, not answered here: the
 * app answers it as any request no route takes (http/create-app.ts), with an `x-request-id`, an
 * audit row and its access line, as every refused request has. The forward error header tells a
 * calling node it is this node's refusal (a wrong `cluster.secret`), not a worker's answer.
 */
export const clusterSecretRequired = (nodeId: string) =>
  new GatewayError({
    status: 401,
    code: "unauthorized",
    message: "cluster secret required",
    headers: { [FORWARD_ERROR_HEADER]: nodeId },
  });

/** What a refused forward carries back to the calling node (forward-over-http.ts reads it). */
export interface ForwardRefusal {
  status: number;
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /**
   * Set when the worker reported its own model server failing (`WorkerUpstreamFault`): the calling
   * node keeps it that worker's fault, out of its route's breaker, as this node does.
   */
  workerUpstreamFault?: true;
  /** The worker's connection was replaced by a newer one under its name (`WorkerReplaced`): the call may go to it. */
  workerReplaced?: true;
}

/**
 * A forward refused by this node or failed by its worker before any answer, for the calling node;
 * its `Retry-After` (a draining worker's 5) as the response's, which the calling node keeps.
 */
export function forwardRefusal(error: GatewayError, nodeId: string): Response {
  const body: ForwardRefusal = {
    status: error.status,
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    ...(error instanceof WorkerUpstreamFault ? { workerUpstreamFault: true } : {}),
    ...(error instanceof WorkerReplaced ? { workerReplaced: true } : {}),
  };
  const retryAfter = error.headers["retry-after"];
  return Response.json(body, {
    status: error.status,
    headers: { [FORWARD_ERROR_HEADER]: nodeId, ...(retryAfter ? { "retry-after": retryAfter } : {}) },
  });
}

/** Refused when the worker a forward names is no longer connected here: another pick may serve. */
const workerGone = (worker: string) =>
  new GatewayError({
    status: 503,
    code: "unavailable",
    message: `${namedWorker(worker)} is no longer connected`,
    retryable: true,
  });

/** Generous: the calling node's router enforces the real per-route timeouts through cancellation. */
const NO_TIMEOUTS = { connectMs: 3_600_000, firstByteMs: 3_600_000, idleMs: 3_600_000 };

/**
 * `POST /cluster/v1/forward`: another node hands over a request for a worker whose connection
 * this node holds. Only `cluster.secret` opens it (a client key is refused like no credential,
 * and the refusal audited); nothing it serves is audited here, because the row belongs to the
 * node that took the request. The
 * worker's answer streams back as it arrives. `POST /cluster/v1/cancel` ends a forward when the
 * calling node's client leaves: a closed connection alone does not reliably reach this handler
 * once a streamed answer is under way.
 */
export function forwardEndpoint(deps: {
  secret: string;
  workers: Provider;
  nodeId: string;
  log: WorkerLog;
  /** This node's workers by name: whether the one a forward names still serves the model, with room. */
  registry: Pick<WorkerRegistry, "get">;
  /** This node's requests in flight: a forward counts, so a drain waits for it. */
  lifecycle?: DrainCount;
}) {
  const refuse = (error: GatewayError) => forwardRefusal(error, deps.nodeId);
  const secretMatches = secretCheck(deps.secret);
  /** Throws unless the request carries `cluster.secret`: answered and audited as a refusal (below). */
  const admit = (request: Request): void => {
    if (secretMatches(request.headers.get(CLUSTER_HEADER))) return;
    // As the peer link logs it: a probe with a wrong secret is seen on every node-to-node path.
    deps.log("warn", "cluster request refused: wrong or missing cluster secret", {
      path: new URL(request.url).pathname,
    });
    throw clusterSecretRequired(deps.nodeId);
  };
  const malformed = (what: string) =>
    refuse(new GatewayError({ status: 400, code: "invalid_request", message: `malformed ${what}` }));
  const cancels = new ForwardCancels();

  return new Elysia()
    .post(CANCEL_PATH, async ({ request }) => {
      admit(request);
      const parsed = cancelSchema.safeParse(await request.json().catch(() => null));
      if (!parsed.success) return malformed("cancel");
      cancels.cancel(parsed.data.forwardId, parsed.data.timedOut === true);
      return new Response(null, { status: 204 });
    })
    .post(STORED_PATH, async ({ request }) => {
      admit(request);
      const parsed = storedSchema.safeParse(await request.json().catch(() => null));
      if (!parsed.success) return malformed("stored-response request");
      const { worker, tenant, ...forward } = parsed.data;
      const holder = deps.workers.holder?.(workerLabel({ name: worker }), tenant ?? DEFAULT_TENANT);
      if (!holder?.forward) return refuse(workerGone(worker));
      try {
        const answer = await holder.forward({
          ...forward,
          ...callerContext(request.headers),
          signal: request.signal,
        });
        const type = answer.headers.get("content-type");
        return new Response(await answer.arrayBuffer(), {
          status: answer.status,
          headers: type ? { "content-type": type } : {},
        });
      } catch (error) {
        return refuse(toGatewayError(error));
      }
    })
    .post(FORWARD_PATH, async ({ request }) => {
      admit(request);
      const parsed = forwardSchema.safeParse(await request.json().catch(() => null));
      if (!parsed.success) return malformed("forward request");
      const { operation, body, stream, requestId, forwardId, worker, native, bodyText } = parsed.data;
      const tenant = parsed.data.tenant ?? DEFAULT_TENANT;
      const model = typeof body.model === "string" ? body.model : "";
      let provider: Provider | undefined;
      try {
        // Only a worker the caller's tenant may use: the one named, else any serving the model.
        provider =
          worker === undefined
            ? (deps.workers.select?.(model, undefined, tenant) ?? deps.workers)
            : deps.workers.holder?.(workerLabel({ name: worker }), tenant);
      } catch (error) {
        return refuse(toGatewayError(error));
      }
      if (!provider) return refuse(workerGone(worker ?? ""));
      const named = worker === undefined ? undefined : deps.registry.get(worker);
      const refused = named && whyNamedTakesNone(named, model);
      if (refused) return refuse(noWorkerTakes(model, refused));
      const release = holdWhileRunning(deps.lifecycle);
      if (!release) return refuse(unavailable(`node ${deps.nodeId} is draining or at its request limit`));
      // The call's hook and the listener of its connection's close; running till done.
      const forward = new ForwardCut(cancels, forwardId, provider, release);
      request.signal.addEventListener("abort", forward, { once: true });
      try {
        const reply = await provider.call({
          operation,
          body: body as Record<string, never>,
          stream,
          requestId,
          signal: forward.signal,
          cancel: forward,
          timeouts: NO_TIMEOUTS,
          // The calling node's attempt span, as the peer link carries it: the worker's hop continues the trace.
          ...callerContext(request.headers),
          // Native: the worker's answer comes back untouched, as a Response.
          native: {
            ...(native ?? { headers: {}, query: "" }),
            ...(bodyText !== undefined ? { bytes: new TextEncoder().encode(bodyText) } : {}),
          },
        });
        if (reply.kind !== "http")
          throw new GatewayError({ status: 502, code: "upstream_error", message: "unexpected reply" });
        const response = asResponse(reply.response);
        const headers = new Headers({
          [SERVED_BY_HEADER]: servedByOnWire(
            `${reply.servedBy ?? workerLabel({ name: "unnamed" })}@${deps.nodeId}`,
          ),
        });
        const type = response.headers.get("content-type");
        if (type) headers.set("content-type", type);
        const retryAfter = response.headers.get("retry-after");
        if (retryAfter) headers.set("retry-after", retryAfter);
        if (!stream) {
          // A whole answer: read here (a cancel meanwhile aborts the worker and this read) and
          // sent as one body, without a relay stream's per-chunk pulls.
          const bytes = await response.arrayBuffer();
          forward.done();
          request.signal.removeEventListener("abort", forward);
          return new Response(bytes, { status: response.status, headers });
        }
        const reader = response.body?.getReader();
        // From here a cancel ends the forward and cancels the worker's body.
        if (reader) forward.relaying(reader);
        // Its first piece, before the head is handed over (Bun.serve writes a streamed answer's head
        // with its first piece: the calling node waits no longer): a worker lost before it is refused
        // in its words, a restart's too, which the calling node may retry, not a reset connection
        // that reads as this node unreachable.
        const first = await reader?.read();
        // Bun may abort request.signal once the response is handed over; from here only a cancel
        // (the relay's, or /cluster/v1/cancel) means the other node left.
        request.signal.removeEventListener("abort", forward);
        return new Response(relay(reader, first, forward), {
          status: response.status,
          headers,
        });
      } catch (error) {
        forward.done();
        return refuse(toGatewayError(error));
      }
    });
}
