import { signalOf } from "../core/abort-followers.ts";
import { GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { raceAbort } from "../core/race-abort.ts";
import { statedDelayMs } from "../core/stated-delay.ts";
import type { Provider } from "../providers/provider.ts";
import { logRefusedField, logRouteFailed } from "./attempt-failure-log.ts";
import { NO_PROBE, type Probe } from "./breaker-probe.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import type { DispatchDeps } from "./dispatch-deps.ts";
import { fallbackClassOf } from "./fallback-on.ts";
import type { ClientReply } from "./native-reply.ts";
import { letGoOfReceived } from "./received-bytes.ts";
import { type RefusedHint, refusedHint, renamedBound } from "./refused-hint.ts";
import { attemptInfo, type Route } from "./route.ts";
import type { RouteAttempt } from "./route-attempt.ts";
import type { ModelPlan } from "./route-table.ts";
import { RoutesTried } from "./routes-tried.ts";
import type { RoutingPolicy } from "./routing-policy.ts";
import type { ReadOutcome } from "./stepped-reads.ts";
import {
  abortReason,
  attemptFailed,
  attemptFailure,
  committed,
  openAttempt,
  sendAttempt,
  workerOf,
} from "./try-route.ts";
import { pinnedTo, type Repick, WorkerRepicks } from "./worker-repicks.ts";

/**
 * One request's walk over its model's routes in strategy order, retrying (with backoff) and
 * failing over until the first byte of an answer is in hand. Each attempt's read settles the
 * dispatch's promise itself (`Attempt.readInto`, with this run as its outcome): committed when it
 * answered, or the next attempt followed when it failed and another is allowed. The loop's state
 * lives here between attempts, so a request runs through no async frame of the router's; what it
 * learned of the routes, and its answer when none served, in `RoutesTried`.
 */
export class DispatchRun extends RoutesTried implements ReadOutcome<ClientReply, Dispatched> {
  private readonly routes: readonly Route[];
  /** The route being tried, and its retry (0: the first try on it). */
  private index = 0;
  private retry = 0;
  /** An attempt sent upstream failed: the next route's first try is a failover. */
  private sentAndFailed = false;
  /** The attempt in flight, once opened. */
  private call: RouteAttempt | undefined;
  /** Hints (translation-hints.ts) the route's model refused, each once: its next attempt goes without them. */
  private without: readonly RefusedHint[] | undefined;
  /** The workers of this node this request failed on, each as that worker's end; made at the first. */
  private workers: WorkerRepicks | undefined;
  /**
   * The last attempt's worker failed on its own (lost, busy, its model server failing) and the
   * route has another: the worker chosen for the free re-pick, tried at once (neither a retry nor
   * a failover).
   */
  private repick: Provider | undefined;
  /** The wait the failed attempt's upstream said (`Retry-After`), which the same route's retry waits at least. */
  private statedMs: number | undefined;

  constructor(
    routes: readonly Route[],
    private readonly plan: ModelPlan,
    request: DispatchRequest,
    private readonly policy: RoutingPolicy,
    private readonly deps: DispatchDeps,
    /**
     * The first route is a slower one the `latency` strategy measures again (order-routes.ts
     * `explores`): it gets one try, a retryable failure going to the next route at once.
     */
    private readonly explored = false,
  ) {
    super(request);
    this.routes = routes;
  }

  /** Opens the next attempt the policy allows, or ends the dispatch (a local answer, or the last failure). */
  next(): Promise<Dispatched> {
    const { request, routes, deps } = this;
    for (; this.index < routes.length; this.nextRoute()) {
      const route = routes[this.index] as Route;
      if (this.retry === 0 && (!this.fits(route) || this.apiRuledOut(route))) continue;
      if (this.retry > this.policy.retries) continue;
      if (request.signal.aborted) return Promise.reject(abortReason(request.signal));
      const probe = deps.health.admit(route.key);
      if (probe === undefined) {
        this.passedOver(route, deps.health.reopensInMs(route.key), deps.health.operatorFaultOf(route.key));
        continue;
      }
      const to = probe === NO_PROBE ? route : this.probeTo(route, probe);
      if (to === undefined) continue;
      const waits = this.retry > 0 && this.repick === undefined;
      return waits ? this.afterBackoff(to, probe) : this.send(to, probe);
    }
    return this.exhausted();
  }

  /**
   * Where a half-open breaker's `probe` goes: to the newcomer whose arrival half-opened it
   * (RouteHealth.probePin), not to a worker that failed the route. A caller the newcomer does not
   * serve (another tenant's) leaves the slot to the next and is passed over (undefined) until the
   * cooldown the pin cut short ends; with the newcomer gone, the breaker is open again until then
   * (RouteHealth.newcomerGone), and every caller passed over.
   */
  private probeTo(route: Route, probe: Probe): Route | undefined {
    const { health } = this.deps;
    const pin = health.probePin(route.key);
    const { provider } = route;
    if (pin === undefined || provider.holder === undefined) return route;
    const newcomer = provider.holder(pin.by, this.request.tenant);
    if (newcomer !== undefined) return pinnedTo(route, newcomer);
    const gone = provider.holder(pin.by, pin.tenant) === undefined;
    this.passedOver(
      route,
      gone ? health.newcomerGone(route.key, probe) : health.passedOverByPin(route.key, probe),
    );
    return undefined;
  }

  /** On to the next route: a first try, with what the translation writes for it. */
  private nextRoute(): void {
    this.index++;
    this.retry = 0;
    this.without = undefined;
    this.repick = undefined;
    this.statedMs = undefined;
  }

  /**
   * A retry waits its backoff first, and never less than the wait its upstream said (the jitter
   * may halve a backoff `asksLonger` found long enough); one the client's leaving cut short sends
   * nothing more upstream (and frees the probe slot, when its admission claimed a half-open breaker's).
   */
  private afterBackoff(route: Route, probe: Probe): Promise<Dispatched> {
    const { request } = this;
    const backoff = this.policy.backoffMs * 2 ** (this.retry - 1) * (0.5 + this.deps.random() / 2);
    const ms = Math.max(backoff, this.statedMs ?? 0);
    return raceAbort(Bun.sleep(ms), signalOf(request.signal), "reject")
      .catch(() => {})
      .then(() => {
        if (!request.signal.aborted) return this.send(route, probe);
        this.deps.health.released(route.key, probe);
        return Promise.reject(abortReason(request.signal));
      });
  }

  /**
   * One attempt at the route, `probe` its admission (route-health.ts): its read settles the
   * dispatch through `settled` or `recovered`.
   */
  private send(route: Route, probe: Probe): Promise<Dispatched> {
    const { request } = this;
    // A call sent again without a refused field is a retry of its route.
    const retry = this.retry + (this.without?.length ?? 0);
    // Another worker of the route after one failed on its own is the same route again: no failover.
    const repick = this.repick;
    this.repick = undefined;
    const info = attemptInfo(route, retry, this.sentAndFailed && retry === 0 && repick === undefined);
    this.call = undefined;
    try {
      this.call = openAttempt(
        repick ? pinnedTo(route, repick) : route,
        request,
        this.deps.health,
        this.attempts + 1,
        this.policy,
        info,
        probe,
        this.without,
      );
      // Opened: a call about to be sent (one refused before it opened is no attempt).
      this.sent();
      // An attempt that does not send the bytes received: translated, or its body serialised (a
      // Claude call without unsigned thinking, Claude on Bedrock or Vertex AI).
      if (this.call.native?.bytes === undefined)
        letGoOfReceived(request, this.routes, this.index, this.deps, this.plan.shadow);
      return sendAttempt(this.call, request, this);
    } catch (thrown) {
      // Thrown before the read began (the call could not be adapted or built, or the provider
      // threw). Refused before it opened, it was never sent: the probe slot it claimed, if it did,
      // goes to the next request, whatever threw (an opened call frees it with its verdict).
      if (this.call === undefined) this.deps.health.released(route.key, probe);
      try {
        return Promise.resolve(this.recovered(thrown));
      } catch (failure) {
        return Promise.reject(failure);
      }
    }
  }

  /** The attempt answered: the answer is the client's (and the shadow's, when one applies). */
  settled(answer: ClientReply): Dispatched {
    const dispatched = committed(this.call as RouteAttempt, this.request, answer);
    this.call = undefined;
    const shadow = this.deps.shadow;
    return shadow ? shadow(this.plan.shadow, this.request, dispatched) : dispatched;
  }

  /**
   * The attempt failed: it ends here, its route judged, and the failure's retry verdict says
   * whether the dispatch goes on (the same route again, or the next) or fails with it.
   */
  recovered(thrown: unknown): Dispatched | Promise<Dispatched> {
    const { request } = this;
    const call = this.call;
    this.call = undefined;
    const route = this.routes[this.index] as Route;
    // An attempt that was opened ends here, its route judged; one refused before it opened
    // (the call could not be adapted) was no attempt: `send` freed its probe slot, no verdict.
    let error = thrown;
    let worker: Provider | GatewayError | undefined;
    if (call !== undefined) {
      const failure = attemptFailure(call, request, thrown);
      // Before the verdict: a worker's own fault is its route's only when no other worker takes it.
      // Other workers merely busy are still there to serve the model: not the last upstream (draining
      // ones are not: they take nothing new).
      const repick = this.anotherWorker(call, failure, route);
      // The same worker again, its node having lost it to a restart: the attempt is recorded as
      // that restart, not as the refusal of another node ranked over it (cluster/forward-call.ts).
      const recorded = repick === call.upstream ? call.upstream.lostToRestart?.(failure) : undefined;
      const last = repick === undefined || repick instanceof GatewayError;
      error = attemptFailed(call, request, failure, last, recorded);
      worker = repick === "busy" ? undefined : repick;
      this.sentAndFailed = true;
    }
    if (request.signal.aborted) throw abortReason(request.signal);
    const failure = toGatewayError(error);
    // A route that cannot serve this call (count_tokens on an OpenAI-shaped route, a vendor that
    // could not count, audio asked of an API that answers in text) is no failure of the route: the
    // next one may serve it. Passed over before anything was sent, it makes the next route no
    // failover either.
    if (this.passedOverAsUnable(failure, route)) {
      this.nextRoute();
      return this.onward();
    }
    // A field the caller's own API takes, refused by this route's model (an effort level in the
    // other dialect's words, `top_p` beside `temperature` to Claude): the route again without it (or
    // with the bound that fits), once a field, before any other verdict.
    const refused = this.refusedHint(call, thrown);
    if (refused) {
      this.without = [...(this.without ?? []), refused];
      logRefusedField(this.deps.log, request, route, refused);
      return this.onward();
    }
    const fallback = fallbackClassOf(failure);
    const failOver = fallback !== undefined && this.plan.fallbackOn?.has(fallback) === true;
    if (!failure.retryable && !failOver) throw failure;
    // The failed worker is gone and no other of the route takes calls (`anotherWorker`): the caller
    // hears why — every other one draining, or, none left connected, the failed one's own end.
    const told = worker instanceof GatewayError ? worker : failure;
    this.failedWith(told);
    const stated = statedDelayMs(failure.headers);
    this.retryAdvice().heard(failure, stated);
    const window = route.contextWindow;
    if (fallback === "context_length" && window !== undefined) this.ruledOutUpTo(window);
    if (!failure.sameApiAgain) this.ruledOutApiOf(route);
    logRouteFailed(this.deps.log, request, route, (call && workerOf(call)) ?? route.label, failure);
    // Another worker of the route takes it at once (`repick`); else a retry or the next route.
    if (worker !== undefined && !(worker instanceof GatewayError)) {
      this.repick = worker;
      return this.onward();
    }
    // No worker of the route left to take it: the route is done.
    const noneLeft = worker instanceof GatewayError || told.code === "no_route_available";
    const wasExplored = this.explored && this.index === 0;
    if (noneLeft || failOver || wasExplored || !failure.sameRouteAgain || this.asksLonger(stated))
      this.nextRoute();
    else {
      this.retry++;
      this.statedMs = stated;
    }
    return this.onward();
  }

  /**
   * A worker lost, refusing as busy or draining, or failed by its own model server is that worker's
   * end, not the route's: another worker of the route, when one can take it, is tried at once
   * (`repick`: worker-repicks.ts). Undefined when none can; the failure to answer with when the
   * failed one is gone and no other takes calls: every other one draining, or, none left
   * connected, the failed one's own end, in its words and with its Retry-After.
   */
  private anotherWorker(call: RouteAttempt, failure: GatewayError, route: Route): Repick {
    const upstream = call.upstream;
    if (upstream === call.target.provider) return undefined;
    this.workers ??= new WorkerRepicks();
    return this.workers.after(upstream, failure, route, this.request);
  }

  /**
   * The upstream said when to come back (`Retry-After`, `retry-after-ms`: Azure's 429, Google's
   * RetryInfo, Bedrock's throttle, OpenAI's rate-limit resets read as those: retry-headers.ts) and
   * it is later than this route's next retry could wait: sent again after the backoff, the call
   * would only spend quota to be refused again, so the next route is tried instead (and with none
   * left the caller gets the 429 and the soonest Retry-After any route said: retry-advice.ts).
   * Read on a failure alone: nothing more for an answered request.
   */
  private asksLonger(stated: number | undefined): boolean {
    return stated !== undefined && stated > this.policy.backoffMs * 2 ** this.retry;
  }
  /**
   * The translation's hint the failed attempt's upstream refused, when the route may be tried
   * without it: each hint once a route (the attempt sent without it has it no more, so a route is
   * tried again at most once a hint: Haiku 4.5 refuses both the effort and `top_p` beside
   * `temperature`), and a field never left out under `translation.unsupported: reject`, where the
   * caller asked to hear of what cannot be carried rather than go without it (a bound lowered to
   * what fits, or sent under its older name, leaves nothing out). A `max_completion_tokens` the
   * upstream does not know goes as `max_tokens` (`renamedBound`), for a caller of any dialect.
   */
  private refusedHint(call: RouteAttempt | undefined, thrown: unknown): RefusedHint | undefined {
    if (call === undefined) return undefined;
    const { adapted } = call;
    const refused =
      refusedHint(thrown, adapted.hints) ?? renamedBound(thrown, adapted.body, adapted.callerNames);
    const leavesOut = refused?.fits === undefined && refused?.renamed === undefined;
    return leavesOut && this.policy.unsupported === "reject" ? undefined : refused;
  }

  /**
   * The next attempt, opened in a microtask of its own as the loop's `await` did: a failure may be
   * heard inside another module's callback (a timeout fires from its deadline list's walk), which
   * must not open an attempt in the middle of it.
   */
  private onward(): Promise<Dispatched> {
    return Promise.resolve().then(() => this.next());
  }
}
