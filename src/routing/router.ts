import { signalOf } from "../core/abort-followers.ts";
import { GatewayError, notFound, toGatewayError, unavailable } from "../core/gateway-error.ts";
import { abortable } from "./abortable.ts";
import { localAnswer } from "./adapt-dialect.ts";
import { fitsContext } from "./context-fit.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import { fallbackClassOf } from "./fallback-on.ts";
import { orderRoutes } from "./order-routes.ts";
import type { RouteAttempt } from "./route-attempt.ts";
import type { RouteHealth } from "./route-health.ts";
import type { ModelPlan, RouteTable } from "./route-table.ts";
import type { RoutingPolicy } from "./routing-policy.ts";
import { abortReason, attemptFailed, committed, openAttempt, sendAttempt } from "./try-route.ts";

export type { Dispatched, DispatchRequest, ReceivedRequest } from "./dispatch.ts";

export interface RouterDeps {
  /** The current snapshot; read once per request so a reload never changes a request midway. */
  readonly table: () => RouteTable;
  readonly health: RouteHealth;
  readonly policy: () => RoutingPolicy;
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
    // The config's own object, passed down as it is (no per-request copy of its fields).
    const policy = deps.policy();
    const { retries, backoffMs } = policy;
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
        if (retry > 0) {
          await backoff(backoffMs, retry, random, signalOf(request.signal));
          // A backoff the client's leaving cut short sends nothing more upstream.
          if (request.signal.aborted) throw abortReason(request.signal);
        }
        attempts++;
        const observed = request.telemetry?.attempt({
          route: route.label,
          dialect: route.provider.dialect,
          upstreamModel: route.upstreamModel,
          retry,
          failover: lastError !== undefined && retry === 0,
        });
        // The attempt's steps run in this frame (try-route.ts): no async frame per attempt.
        let call: RouteAttempt | undefined;
        let dispatched: Dispatched;
        try {
          call = openAttempt(route, request, deps.health, attempts, policy, observed);
          dispatched = committed(call, await sendAttempt(call, request));
        } catch (thrown) {
          // An attempt that was opened ends here, its route judged; one refused before it opened
          // (the call could not be adapted) has told its route already.
          const error = call === undefined ? thrown : attemptFailed(call, request, thrown);
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
          continue;
        }
        return maybeShadow(plan, request, deps, dispatched);
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
