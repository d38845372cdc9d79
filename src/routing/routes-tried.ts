import type { JsonObject } from "../core/dialect.ts";
import { type ErrorCode, GatewayError, unavailable } from "../core/gateway-error.ts";
import { retryAfterSeconds } from "../core/stated-delay.ts";
import { fitsContext, noRouteFits } from "./context-fit.ts";
import { couldServe, refusalBefore } from "./could-serve.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import { localAnswer } from "./local-answer.ts";
import { RetryAdvice, toldWait } from "./retry-advice.ts";
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
  /** Routes skipped before any attempt on them (too small, or out of service), and why; made at the first. */
  private skipped: Skip[] | undefined;
  /** The vendor APIs (`Provider.chatTarget`) a failure said every route to would fail alike (`sameApiAgain`). */
  private failedApis: Set<object> | undefined;
  /**
   * When, and whether, the caller may try again if no route serves (the final failure's headers):
   * made at the first failure or route passed over, none for a request its first route serves.
   */
  private advice: RetryAdvice | undefined;
  /** The first route that could not serve the call: the gateway's own answer is what it would be sent. */
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
   * Passes `route` over when `refusal` says it cannot serve this call (`CANNOT_SERVE`: count_tokens
   * on an OpenAI-shaped route, audio of an API that answers in text), which is no failure of the
   * route, and says whether it did (false for any other failure: nothing is recorded). The first
   * such refusal, and route, are kept: when no route answers and no attempt failed before, the
   * dispatch fails with it, or the gateway answers itself for that route (`exhausted`).
   */
  protected passedOverAsUnable(refusal: GatewayError, route: Route): boolean {
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
    this.skip({ route, window });
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

  /**
   * `route` passed over while its breaker is open, which lets a probe through in `reopensInMs`;
   * `fault`, why it opened when only the operator can mend that (RouteHealth.operatorFaultOf).
   */
  protected passedOver(route: Route, reopensInMs: number, fault?: string): void {
    this.skip({ route, reopensIn: reopensInMs, fault });
    this.retryAdvice().passedOver();
  }

  private skip(skip: Skip): void {
    this.skipped ??= [];
    this.skipped.push(skip);
  }

  /** The run's retry advice, made when first needed (a route failed or was passed over). */
  protected retryAdvice(): RetryAdvice {
    this.advice ??= new RetryAdvice();
    return this.advice;
  }

  /**
   * No route answered: the gateway's own answer where no upstream can serve it, else the last
   * failure; or, with none, or with routes tried that could not serve the call and a route skipped
   * that could have (an audio model whose breaker is open), why the routes were skipped (a 503
   * saying when to come back, or the prompt too long). With no route tried and none skipped that
   * could serve the call either (`couldServe`), the first one's refusal, as if it had been tried:
   * a permanent refusal is no outage, and count_tokens is the gateway's own estimate.
   */
  protected exhausted(): Promise<Dispatched> {
    if (this.lastError === undefined) this.refusedByEverySkipped();
    const { request, lastError } = this;
    const local =
      lastError?.code === "unsupported_operation"
        ? localAnswer(request.operation, request.body, this.unserved?.provider)
        : undefined;
    if (local) return local.then((body) => localDispatched(this.callsSent, body));
    const skipped = this.skippedThatServe(lastError);
    if (lastError && skipped.length === 0) return Promise.reject(this.advice?.told(lastError) ?? lastError);
    return Promise.reject(this.whySkipped(skipped));
  }

  /**
   * No route was tried: when no route skipped could have served the call (`refusalBefore`), the
   * first is passed over as unable, with the refusal it would have been tried into.
   */
  private refusedByEverySkipped(): void {
    const [first, ...rest] = this.skipped ?? [];
    if (first === undefined) return;
    const refusal = refusalBefore(first.route, this.request);
    if (refusal === undefined || rest.some(({ route }) => couldServe(route, this.request))) return;
    this.passedOverAsUnable(refusal, first.route);
  }

  /**
   * The routes skipped that could have served the call (`couldServe`), when no route was tried or
   * `lastError` says those tried cannot serve it; none for a failure of its own (an upstream's),
   * which is the caller's answer, nor for a route that could not serve it either: a permanent
   * refusal is not an outage.
   */
  private skippedThatServe(lastError: GatewayError | undefined): readonly Skip[] {
    const { skipped, request } = this;
    if (skipped === undefined || (lastError && !CANNOT_SERVE.has(lastError.code))) return [];
    return skipped.filter(({ route }) => couldServe(route, request));
  }

  /**
   * Why `skipped` were: out of service, until the soonest breaker lets a probe through, when one
   * out of service could hold the prompt; else the prompt too long for the largest window of those.
   */
  private whySkipped(skipped: readonly Skip[]): GatewayError {
    let window = 0;
    let reopensIn = Number.POSITIVE_INFINITY;
    let fault: string | undefined;
    for (const skip of skipped) {
      if ("window" in skip) window = Math.max(window, skip.window);
      // A breaker's route held the prompt when passed over; a later refusal may have ruled it out.
      else if ((skip.route.contextWindow ?? Number.POSITIVE_INFINITY) > this.tooSmall) {
        reopensIn = Math.min(reopensIn, skip.reopensIn);
        fault ??= skip.fault;
      } else window = Math.max(window, this.tooSmall);
    }
    const { request } = this;
    return window > 0 && !Number.isFinite(reopensIn)
      ? noRouteFits(request.operation, request.body, window, request.model)
      : this.outOfService(reopensIn, fault);
  }

  /**
   * Every route's breaker is open: a 503 saying when to come back (the soonest a breaker lets a
   * probe through), so a client's backoff meets the route's return rather than guessing; and, when
   * that is further off than the SDKs wait as told (a `cooldown` over a minute), not to retry.
   * A breaker opened by what only the operator can mend says so (`fault`, the gateway's words): a
   * client that retries a 502 `upstream_auth` (Codex reads no `x-should-retry`) would otherwise end
   * on this 503 alone, its cause hidden.
   */
  private outOfService(reopensIn: number, fault?: string): GatewayError {
    const said = `every route for model ${this.request.model} is temporarily out of service`;
    const error = unavailable(fault === undefined ? said : `${said}: ${fault}`, "no_route_available");
    if (!Number.isFinite(reopensIn)) return error;
    return new GatewayError({
      status: error.status,
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      // At least a second, at most the day the gateway tells of any wait (a cooldown of years is
      // told a day, still before the probe it names; `8.64e+24` was no number a client reads).
      headers: toldWait({ "retry-after": retryAfterSeconds(Math.max(1000, reopensIn)) }),
    });
  }
}

/** Refusals that say a route cannot serve the call, where another route may (`RoutesTried.passedOverAsUnable`). */
const CANNOT_SERVE: ReadonlySet<ErrorCode> = new Set(["unsupported_operation", "unsupported_modality"]);

/**
 * A route skipped before any attempt on it: its window too small for the prompt, or its breaker
 * open, which lets a probe through in `reopensIn` ms.
 */
type Skip = { readonly route: Route } & (
  | { readonly window: number }
  | { readonly reopensIn: number; readonly fault: string | undefined }
);

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
