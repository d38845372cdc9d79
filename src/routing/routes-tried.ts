import type { JsonObject } from "../core/dialect.ts";
import { type ErrorCode, GatewayError, unavailable } from "../core/gateway-error.ts";
import { localAnswer } from "./adapt-dialect.ts";
import { fitsContext, noRouteFits } from "./context-fit.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import { RetryAdvice } from "./retry-advice.ts";
import type { Route } from "./route.ts";

/**
 * What a dispatch learned of its routes as it walked them (calls sent, the last failure, windows
 * too small, breakers open), and what it answers with when none served: the state of the walk
 * that outlives a route, kept apart from the walk itself (dispatch-run.ts `DispatchRun`, which
 * extends it: one object a request, as before).
 */
export class RoutesTried {
  /** Calls sent upstream: a route passed over before sending (it cannot serve the call) is none. */
  private callsSent = 0;
  /** What the dispatch fails with when no route answers: the last failure, or why a route was passed over. */
  private lastError: GatewayError | undefined;
  /** The largest window known too small for the prompt: every route whose window is no larger is ruled out. */
  private tooSmall = 0;
  /** The largest window of a route passed over as too small before any attempt on it. */
  private skippedWindow = 0;
  /** The vendor APIs (`Provider.chatTarget`) a failure said every route to would fail alike (`sameApiAgain`). */
  private failedApis: Set<object> | undefined;
  /** The soonest an open breaker of a route passed over lets a probe through (ms), for Retry-After. */
  private reopensIn = Number.POSITIVE_INFINITY;
  /**
   * When, and whether, the caller may try again if no route serves (the final failure's headers):
   * made at the first failure or route passed over, none for a request its first route serves.
   */
  private advice: RetryAdvice | undefined;
  /** The first route that could not serve the operation: the gateway's own answer is what it would be sent. */
  private unserved: Route | undefined;

  constructor(protected readonly request: DispatchRequest) {}

  /** Calls sent upstream so far. */
  protected get attempts(): number {
    return this.callsSent;
  }

  /** A call is about to be sent upstream (one refused before it opened is none). */
  protected sent(): void {
    this.callsSent++;
  }

  /**
   * An attempt failed and the dispatch goes on: `told` is what the caller hears should no route
   * answer after it (the failure, or why no worker of its route is left to try).
   */
  protected failedWith(told: GatewayError): void {
    this.lastError = told;
  }

  /**
   * Whether `refusal` says `route` cannot serve this call (`CANNOT_SERVE`: count_tokens on an
   * OpenAI-shaped route, audio of an API that answers in text): no failure of the route, which is
   * passed over. The dispatch fails with that, or the gateway answers itself (`exhausted`) for the
   * first such route, only when no attempt failed before.
   */
  protected cannotServe(refusal: GatewayError, route: Route): boolean {
    if (!CANNOT_SERVE.has(refusal.code)) return false;
    this.lastError ??= refusal;
    this.unserved ??= route;
    return true;
  }

  /**
   * The prompt is too long for `window` (estimated before trying, or refused by an upstream): every
   * route whose window is no larger is ruled out.
   */
  protected ruledOutUpTo(window: number): void {
    this.tooSmall = Math.max(this.tooSmall, window);
  }

  /** Whether the prompt may fit the route's window; a route it cannot is skipped. */
  protected fits(route: Route): boolean {
    const window = route.contextWindow;
    if (
      window === undefined ||
      (window > this.tooSmall && fitsContext(this.request.operation, this.request.body, window))
    )
      return true;
    this.ruledOutUpTo(window);
    this.skippedWindow = Math.max(this.skippedWindow, window);
    return false;
  }

  /**
   * The route's failure is one every route to the same vendor API meets for this request
   * (`GatewayError.sameApiAgain`): the model's other routes of that API are passed over.
   */
  protected ruledOutApiOf(route: Route): void {
    const api = route.provider.chatTarget;
    if (api === undefined) return;
    this.failedApis ??= new Set();
    this.failedApis.add(api);
  }

  /** Whether an earlier route's failure ruled out the route's vendor API (`ruledOutApiOf`). */
  protected apiRuledOut(route: Route): boolean {
    const api = route.provider.chatTarget;
    return api !== undefined && this.failedApis?.has(api) === true;
  }

  /** A route passed over while its breaker is open, which lets a probe through in `reopensInMs`. */
  protected passedOver(reopensInMs: number): void {
    this.reopensIn = Math.min(this.reopensIn, reopensInMs);
    this.retryAdvice().passedOver();
  }

  /** The run's retry advice, made when first needed (a route failed or was passed over). */
  protected retryAdvice(): RetryAdvice {
    this.advice ??= new RetryAdvice();
    return this.advice;
  }

  /** No route answered: the gateway's own answer where no upstream can serve it, else the last failure. */
  protected exhausted(): Promise<Dispatched> {
    const { request, lastError } = this;
    const local =
      lastError?.code === "unsupported_operation"
        ? localAnswer(request.operation, request.body, this.unserved?.provider)
        : undefined;
    if (local) return local.then((body) => localDispatched(this.callsSent, body));
    if (lastError && !(CANNOT_SERVE.has(lastError.code) && this.skippedAny()))
      return Promise.reject(this.advice?.told(lastError) ?? lastError);
    return Promise.reject(this.skippedAll() ?? this.outOfService());
  }

  /**
   * A route was skipped, as too small or out of service, that might have served what the others
   * could not (an audio model whose breaker is open): why it was skipped is the caller's answer
   * (a 503 saying when to come back), not that the routes tried cannot serve the call.
   */
  private skippedAny(): boolean {
    return this.skippedWindow > 0 || Number.isFinite(this.reopensIn);
  }

  /** Routes were passed over as too small: the refusal says so for the largest of them. */
  private skippedAll(): GatewayError | undefined {
    const { request, skippedWindow } = this;
    return skippedWindow > 0
      ? noRouteFits(request.operation, request.body, skippedWindow, request.model)
      : undefined;
  }

  /**
   * Every route's breaker is open: a 503 saying when to come back (the soonest a breaker lets a
   * probe through), so a client's backoff meets the route's return rather than guessing.
   */
  private outOfService(): GatewayError {
    const error = unavailable(
      `every route for model ${this.request.model} is temporarily out of service`,
      "no_route_available",
    );
    if (!Number.isFinite(this.reopensIn)) return error;
    return new GatewayError({
      status: error.status,
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      headers: { "retry-after": String(Math.max(1, Math.ceil(this.reopensIn / 1000))) },
    });
  }
}

/** Refusals that say a route cannot serve the call, where another route may (`RoutesTried.cannotServe`). */
const CANNOT_SERVE: ReadonlySet<ErrorCode> = new Set(["unsupported_operation", "unsupported_modality"]);

/**
 * No route's upstream can serve it (count_tokens on OpenAI-type routes): the gateway answers, as
 * no route and no upstream model (metrics' provider `none`), whatever attempts came before.
 */
function localDispatched(attempts: number, body: JsonObject): Dispatched {
  return {
    route: null,
    upstreamModel: null,
    attempts,
    dropped: [],
    reply: { kind: "json", body },
    usage: () => ({ inputTokens: 0, outputTokens: 0 }),
    answeredModel: () => undefined,
  };
}
