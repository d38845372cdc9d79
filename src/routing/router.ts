import { isJsonObject, type JsonObject, type Operation } from "../core/dialect.ts";
import { clientClosed, GatewayError, notFound, toGatewayError, unavailable } from "../core/gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "../providers/http/read-bounded.ts";
import type { NativeRequest } from "../providers/provider.ts";
import type { AttemptTelemetry, DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import type { UnsupportedPolicy } from "../translate/dropped.ts";
import { parseEventData } from "../translate/parse-body.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { abortable } from "./abortable.ts";
import { type AdaptedCall, adaptDialect, localAnswer, type ResponsesContext } from "./adapt-dialect.ts";
import { Attempt } from "./attempt.ts";
import { fitsContext } from "./context-fit.ts";
import { EventChunks, EventReader, type Pass } from "./event-chunks.ts";
import { fallbackClassOf } from "./fallback-on.ts";
import { type ClientReply, readNativeReply } from "./native-reply.ts";
import { orderRoutes } from "./order-routes.ts";
import type { Route } from "./route.ts";
import type { RouteHealth } from "./route-health.ts";
import type { ModelPlan, RouteTable } from "./route-table.ts";
import { spliceBody } from "./splice-body.ts";
import { CLIENT_ROUTING_FIELDS, stripClientRouting } from "./strip-client-routing.ts";

/** A client's call, transport-neutral: every front door and tunnel comes through here. */
export interface DispatchRequest {
  readonly operation: Operation;
  /** Body in the caller's dialect, as received. */
  readonly body: JsonObject;
  readonly model: string;
  readonly stream: boolean;
  readonly requestId: string;
  /** Aborts when the client disconnects. */
  readonly signal: AbortSignal;
  /** Only for `responses`: the id to answer under and the stored turns it continues. */
  readonly responses?: ResponsesContext;
  /**
   * The request as it arrived, for a route whose upstream speaks the caller's dialect: sent on
   * as received (only `model` spliced) with the dialect's headers and the query string.
   */
  readonly received?: ReceivedRequest;
  /** Told about each upstream attempt (metrics, spans); absent when both are off. */
  readonly telemetry?: DispatchTelemetry;
  /** Told before each attempt, so a request that fails still records the route it last tried. */
  readonly onAttempt?: (route: string, upstreamModel: string) => void;
}

/** What the front door read off the client's request, for pass-through. */
export interface ReceivedRequest {
  /** The body's bytes; `body` above is their one parse. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The body as parsed, before any route changed it. */
  readonly body: JsonObject;
  /** The client's dialect headers, from the allow-list. */
  readonly headers: Readonly<Record<string, string>>;
  /** With its `?`, or "". */
  readonly query: string;
  /** The upstream path when it is not the operation's own (`/responses/compact`). */
  readonly path?: string;
}

/** A committed answer: from here on nothing is retried, and bytes may reach the client. */
export interface Dispatched {
  /** In the caller's dialect. A stream starts with the event that was already read. */
  readonly reply: ClientReply;
  /** `provider:<name>` or `worker:<name>`. */
  readonly route: string;
  readonly upstreamModel: string;
  /** What the answer used so far; final once the stream has ended. */
  usage(): Usage;
  readonly attempts: number;
  /** What translation left out for this route, by name; empty when nothing was. */
  readonly dropped: readonly string[];
}

export interface RouterDeps {
  /** The current snapshot; read once per request so a reload never changes a request midway. */
  readonly table: () => RouteTable;
  readonly health: RouteHealth;
  readonly policy: () => {
    retries: number;
    backoffMs: number;
    /** `translation.unsupported`: drop (and name) or refuse what a translation cannot carry. */
    unsupported?: UnsupportedPolicy;
    /** `routing.max_sse_line`: the longest event-stream line an upstream may send. */
    maxSseLine?: number;
    /** `routing.max_upstream_body`: the most a whole (non-stream) upstream answer may be. */
    maxUpstreamBody?: number;
  };
  readonly log: (line: string) => void;
  readonly random?: () => number;
  /**
   * Shadow copies, off the client's path (shadow/): called once the primary has committed, with
   * the model's shadow (if any; a tenant's or an app's may apply instead). It samples, and returns
   * the answer to hand the client (the same, or one that also reports the primary's answer for
   * comparison). Must not wait or throw.
   */
  readonly shadow?: (
    modelShadow: ModelPlan["shadow"],
    request: DispatchRequest,
    primary: Dispatched,
  ) => Dispatched;
}

export type Router = (request: DispatchRequest) => Promise<Dispatched>;

/**
 * Tries a model's routes in strategy order. Retries (with backoff) and failover happen only
 * until the first byte of an answer is in hand; after that the answer is the client's.
 */
export function createRouter(deps: RouterDeps): Router {
  const random = deps.random ?? Math.random;

  return async function dispatch(request) {
    const plan = deps.table().resolve(request.model);
    if (!plan || plan.routes.length === 0) {
      throw notFound(
        `The model \`${request.model}\` does not exist or you do not have access to it.`,
        "model_not_found",
      );
    }
    const {
      retries,
      backoffMs,
      unsupported = "drop",
      maxSseLine: maxLine = DEFAULT_MAX_SSE_LINE,
      maxUpstreamBody: maxBody = DEFAULT_MAX_UPSTREAM_BODY,
    } = deps.policy();
    let lastError: GatewayError | undefined;
    let attempts = 0;
    // A window known too small (estimated before trying, or refused by an upstream) rules out
    // every route whose window is no larger.
    let tooSmall = 0;
    let skipped: GatewayError | undefined;
    for (const route of orderRoutes(plan.routes, plan.strategy, deps.health, random)) {
      const window = route.contextWindow;
      if (window !== undefined && (window <= tooSmall || !fitsContext(request.body, window))) {
        tooSmall = Math.max(tooSmall, window);
        skipped ??= contextTooLong(request.model, window);
        continue;
      }
      for (let retry = 0; retry <= retries; retry++) {
        if (request.signal.aborted) throw abortReason(request.signal);
        if (!deps.health.admit(route.key)) break;
        if (retry > 0) await backoff(backoffMs, retry, random, request.signal);
        attempts++;
        request.onAttempt?.(route.label, route.upstreamModel);
        const observed = request.telemetry?.attempt({
          route: route.label,
          dialect: route.provider.dialect,
          upstreamModel: route.upstreamModel,
          retry,
          failover: lastError !== undefined && retry === 0,
        });
        try {
          const dispatched = await attempt(route, request, deps.health, attempts, {
            unsupported,
            maxLine,
            maxBody,
            observed,
          });
          return maybeShadow(plan, request, deps, dispatched);
        } catch (error) {
          if (request.signal.aborted) throw abortReason(request.signal);
          const failure = toGatewayError(error);
          // A route that cannot serve this operation (count_tokens on an OpenAI-shaped route)
          // is no failure of the route: the next one may serve it.
          if (failure.code === "unsupported_operation") {
            lastError ??= failure;
            break;
          }
          const fallback = fallbackClassOf(failure);
          const failOver = fallback !== undefined && plan.fallbackOn?.has(fallback) === true;
          if (!failure.retryable && !failOver) throw failure;
          lastError = failure;
          if (fallback === "context_length" && window !== undefined) tooSmall = Math.max(tooSmall, window);
          deps.log(
            `[${request.requestId}] route ${route.label} (${route.upstreamModel}) failed: ${failure.message}`,
          );
          if (failure.code === "no_route_available" || failOver) break;
        }
      }
    }
    const first = plan.routes[0];
    const local =
      lastError?.code === "unsupported_operation" && first
        ? localAnswer(request.operation, request.body)
        : undefined;
    if (local && first) {
      // No route's upstream can serve it (count_tokens on OpenAI-type routes): the gateway answers.
      const body = await local;
      return {
        route: first.label,
        upstreamModel: first.upstreamModel,
        attempts,
        dropped: [],
        reply: { kind: "json", body },
        usage: () => ({ inputTokens: 0, outputTokens: 0 }),
      };
    }
    throw (
      lastError ??
      skipped ??
      unavailable(
        `every route for model ${request.model} is temporarily out of service`,
        "no_route_available",
      )
    );
  };
}

async function attempt(
  route: Route,
  request: DispatchRequest,
  health: RouteHealth,
  attempts: number,
  options: {
    unsupported: UnsupportedPolicy;
    maxLine: number;
    maxBody: number;
    observed: AttemptTelemetry | undefined;
  },
): Promise<Dispatched> {
  const { unsupported, maxLine, maxBody, observed } = options;
  let adapted: AdaptedCall;
  try {
    adapted = adaptDialect(
      request.operation,
      request.body,
      route.provider,
      request.model,
      request.responses,
      unsupported,
    );
  } catch (error) {
    // Refused before any upstream call: no verdict on the route, but a half-open probe
    // slot this request claimed must be freed, or the route would never be probed again.
    health.released(route.key);
    observed?.settled(toGatewayError(error));
    observed?.closed();
    throw error;
  }
  const body = stripClientRouting({ ...adapted.body, model: route.upstreamModel });
  const native =
    adapted.native && request.received && route.provider.passThrough
      ? nativeRequest(request.received, body, adapted)
      : undefined;
  const attempt = new Attempt(request.signal, route.timeouts, route.label);
  const started = performance.now();
  const meter = new StreamUsageMeter(route.provider.dialect);
  health.begin(route.key);
  let settled = false;
  const done = (error?: GatewayError) => {
    if (settled) return;
    settled = true;
    attempt.disarm();
    health.end(route.key);
    observed?.closed(error);
  };
  const usage = () => meter.usage ?? { inputTokens: 0, outputTokens: 0 };
  const usageOf = route.provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
  // A same-dialect stream is metered and filtered by the relay itself (no extra stream layers
  // on the hot path); only events that carry usage are looked at.
  const keep = adapted.keep;
  const pass: Pass = (event) => {
    meter.observe(event);
    return keep ? keep(event) : true;
  };
  try {
    attempt.arm(
      request.stream ? "connect" : "first byte",
      request.stream ? route.timeouts.connectMs : route.timeouts.firstByteMs,
    );
    const reply = await abortable(
      route.provider.call({
        operation: adapted.operation,
        body,
        stream: request.stream,
        requestId: request.requestId,
        signal: attempt.signal,
        timeouts: route.timeouts,
        maxBody,
        ...(native ? { native } : {}),
        ...(observed?.headers ? { traceHeaders: observed.headers } : {}),
      }),
      attempt.signal,
    );
    const common = {
      route: reply.servedBy ?? route.label,
      upstreamModel: route.upstreamModel,
      attempts,
      dropped: adapted.dropped ?? [],
    };
    if (reply.kind === "http") {
      const answered = adapted.native?.answered;
      const answer = await readNativeReply(reply.response, {
        label: route.label,
        attempt,
        stream: request.stream,
        maxLine,
        maxBody,
        onUsage: answered ? storing(pass, answered) : pass,
        usageOf,
        done,
        ...(answered ? { onBody: answered } : {}),
      });
      health.succeeded(route.key, performance.now() - started);
      observed?.settled(undefined, common.route);
      const found = answer.usage;
      return { ...common, reply: answer.reply, usage: found ? () => found : usage };
    }
    if (reply.kind === "json") {
      const found = usageOf(reply.body);
      const translated = adapted.json(reply.body);
      health.succeeded(route.key, performance.now() - started);
      observed?.settled(undefined, common.route);
      done();
      return { ...common, reply: { kind: "json", body: translated }, usage: () => found ?? usage() };
    }
    // Translate before committing: a stream that fails before its first translated event
    // may still be retried or failed over.
    attempt.arm("first byte", route.timeouts.firstByteMs);
    const translated = adapted.stream?.(reply.events, (found) => meter.record(found));
    const source = translated ? translated.events : reply.events;
    const reader = new EventReader(source[Symbol.asyncIterator](), attempt, translated ? undefined : pass);
    const first = await reader.next();
    health.succeeded(route.key, performance.now() - started);
    observed?.settled(undefined, common.route);
    const chunks = new EventChunks(first, reader, attempt, done);
    const errorEvent = translated?.errorEvent;
    return { ...common, reply: { kind: "stream", chunks, ...(errorEvent ? { errorEvent } : {}) }, usage };
  } catch (error) {
    const failure = request.signal.aborted ? abortReason(request.signal) : toGatewayError(error);
    // A route whose workers are not connected yet, or all busy, has not failed: opening its
    // breaker would refuse the model for a cooldown after the worker arrives.
    const capacity = failure.code === "no_route_available" || failure.code === "unavailable";
    if (failure.retryable && !capacity) health.failed(route.key);
    else health.released(route.key);
    attempt.abort(failure);
    observed?.settled(failure);
    done(failure);
    throw failure;
  }
}

/**
 * The client's request as a same-dialect upstream gets it: its bytes with the model spliced in —
 * unless it carries client routing fields, which never leave the gateway (then `body`, stripped,
 * is serialised instead).
 */
function nativeRequest(received: ReceivedRequest, body: JsonObject, adapted: AdaptedCall): NativeRequest {
  const steered = CLIENT_ROUTING_FIELDS.some((field) => field in received.body);
  const bytes =
    steered || adapted.native?.rewritten
      ? undefined
      : spliceBody(received.bytes, received.body, String(body.model), adapted.native?.forcedUsage === true);
  return {
    headers: received.headers,
    query: received.query,
    ...(bytes ? { bytes } : {}),
    ...(received.path ? { path: received.path } : {}),
  };
}

/** A native Responses stream's `response.completed` event carries the response to store (and usage). */
function storing(pass: Pass, answered: (response: JsonObject) => void): Pass {
  return (event) => {
    if (event.event === "response.completed") {
      const parsed = parseEventData(event.data);
      if (isJsonObject(parsed) && isJsonObject(parsed.response)) answered(parsed.response);
    }
    return pass(event);
  };
}

/** Why the caller's signal ended the request: a reason it carries (a revoked key), or the client left. */
const abortReason = (signal: AbortSignal): GatewayError =>
  signal.reason instanceof GatewayError ? signal.reason : clientClosed();

function backoff(baseMs: number, retry: number, random: () => number, signal: AbortSignal): Promise<void> {
  const ms = baseMs * 2 ** (retry - 1) * (0.5 + random() / 2);
  return abortable(Bun.sleep(ms), signal).catch(() => {});
}

function maybeShadow(
  plan: ModelPlan,
  request: DispatchRequest,
  deps: RouterDeps,
  primary: Dispatched,
): Dispatched {
  return deps.shadow ? deps.shadow(plan.shadow, request, primary) : primary;
}

/** Every route was ruled out before an attempt: the prompt cannot fit any of their windows. */
const contextTooLong = (model: string, window: number) =>
  new GatewayError({
    status: 400,
    code: "context_length_exceeded",
    param: "messages",
    message: `This model's maximum context length is ${window} tokens: the prompt and the requested answer do not fit any route of model ${model}.`,
  });
