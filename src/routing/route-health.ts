import { errorText } from "../audit/redact-body.ts";
import { steadyClock } from "../core/steady-clock.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import { NO_PROBE, nextProbe, type Probe } from "./breaker-probe.ts";
import type { Newcomer, ProbePin } from "./probe-newly-served.ts";
import { routeFields } from "./route-fields.ts";
import { afterTimeout, withSample } from "./route-latency.ts";
import {
  answeredNothingFor,
  dropIdle,
  FAILING_KEPT_COOLDOWNS,
  MOST_ROUTE_STATES,
  newRouteState,
  type RouteState,
} from "./route-state.ts";

export interface BreakerPolicy {
  failures: number;
  cooldownMs: number;
}

/**
 * The circuit breaker: after `failures` consecutive retryable failures a route is taken
 * out for `cooldownMs`; then one request probes it (`Probe`), and the probe's success closes the
 * breaker, its failure opens it for another cooldown. Each opening is a warning in the log, each
 * closing an info line (`log`), naming the request judged, as a worker taken out of rotation is.
 * Its times are on `now`, a clock NTP never steps (core/steady-clock.ts; the test's): on the wall clock a
 * step back kept a route out that much longer (10 minutes for a 10-minute step). It answers only
 * durations (`reopensInMs`), never those times.
 */
export class RouteHealth {
  constructor(
    private policy: BreakerPolicy,
    private readonly now: () => number = steadyClock,
    private readonly log: Logger = silentLogger,
    private readonly states = new Map<string, RouteState>(),
    /** Tests set a lower bound. */
    private readonly most = MOST_ROUTE_STATES,
    /**
     * Whether a route key is one the config names (not made by a `*` route for a model name a
     * client sent): only the others' failing or open states are dropped at the bound. Every key,
     * unless told otherwise: none dropped for its failures.
     */
    private readonly configured: (key: string) => boolean = () => true,
  ) {
    this.sweepAt = most;
  }

  /** The map's size at which idle states are next dropped. */
  private sweepAt: number;

  setPolicy(policy: BreakerPolicy): void {
    this.policy = policy;
  }

  /**
   * The breakers as a new config version sees them: its own policy and configured routes over the
   * same per-route state, so a failure counted by a request of the previous version counts for the
   * next one too.
   */
  withPolicy(policy: BreakerPolicy, configured: (key: string) => boolean = this.configured): RouteHealth {
    return new RouteHealth(policy, this.now, this.log, this.states, this.most, configured);
  }

  /** Drops the state of routes not kept (gone from the config, or their provider changed). */
  forget(keep: (key: string) => boolean): void {
    for (const key of [...this.states.keys()]) if (!keep(key)) this.states.delete(key);
  }

  private state(key: string): RouteState {
    let state = this.states.get(key);
    if (!state) {
      if (this.states.size >= this.sweepAt) {
        dropIdle(this.states, this.now() - FAILING_KEPT_COOLDOWNS * this.policy.cooldownMs, this.configured);
        // Were most states busy or failing, the next sweep waits for a quarter more: not one a request.
        this.sweepAt = Math.max(this.most, this.states.size + (this.most >> 2));
      }
      state = newRouteState();
      this.states.set(key, state);
    }
    return state;
  }

  /**
   * Whether a request may use the route now: undefined when it may not, else its `Probe` —
   * `NO_PROBE` on a closed breaker, or a token when it claims a half-open breaker's probe slot.
   */
  admit(key: string): Probe | undefined {
    const state = this.state(key);
    if (state.openUntil === 0) return NO_PROBE;
    if (this.now() < state.openUntil || state.probe !== NO_PROBE) return undefined;
    state.probe = nextProbe();
    return state.probe;
  }

  /**
   * A new way to serve the route has come (`newcomer`: a worker newly serving `workers/<model>`):
   * an open breaker lets its next request through as a probe at once rather than at its
   * cooldown's end, which the failures of the ways before it set, and the probe goes to the
   * newcomer (`probePin`). One probe as ever: its answer closes the breaker, its failure opens it
   * for another cooldown; a probe in flight keeps its slot. At most once a cooldown, and never for
   * a newcomer that failed the route already: a worker that reconnects again and again, under its
   * name or fresh ones, gets no more probes than the breaker gives.
   */
  halfOpen(key: string, why: string, newcomer: Newcomer): void {
    const state = this.states.get(key);
    if (state === undefined || state.probe !== NO_PROBE) return;
    const now = this.now();
    if (state.openUntil <= now || now - state.halfOpenedAt < this.policy.cooldownMs) return;
    if (state.failedBy?.has(newcomer.by)) return;
    state.pin = { by: newcomer.by, tenant: newcomer.tenant, until: state.openUntil };
    state.halfOpenedAt = now;
    state.openUntil = now;
    this.log.info("route breaker half-open: its next request probes it", {
      ...routeFields(key),
      reason: why,
    });
  }

  /**
   * The newcomer a half-open breaker's probe goes to (`halfOpen`), while the cooldown it cut short
   * lasts: a caller it does not serve is passed over until then (the dispatch asks, only for a
   * request `admit` made the probe).
   */
  probePin(key: string): ProbePin | undefined {
    const state = this.states.get(key);
    if (state?.pin === undefined || this.now() < state.pin.until) return state?.pin;
    state.pin = undefined;
    return undefined;
  }

  /**
   * A caller the pinned probe passes over (the newcomer does not serve it): the slot `probe` claimed
   * goes to the next caller; ms until the cooldown the pin cut short ends, when any caller may probe.
   */
  passedOverByPin(key: string, probe: Probe): number {
    const state = this.states.get(key);
    if (state === undefined) return 0;
    this.released(key, probe);
    return Math.max(0, (state.pin?.until ?? state.openUntil) - this.now());
  }

  /**
   * The newcomer whose arrival half-opened the breaker is gone before its probe: the breaker is open
   * again until the cooldown the half-open cut short ends (a worker that registers under a fresh
   * name and drops at once buys no early probe to the workers that failed); the slot `probe` claimed
   * is released. Ms until then.
   */
  newcomerGone(key: string, probe: Probe): number {
    const state = this.states.get(key);
    if (state === undefined) return 0;
    if (state.pin !== undefined) state.openUntil = Math.max(state.openUntil, state.pin.until);
    state.pin = undefined;
    this.released(key, probe);
    return this.reopensInMs(key);
  }

  /**
   * Why the route's breaker is open, when its last failure was one only the operator can mend (the
   * gateway's credentials or account refused): its words for callers, else undefined.
   */
  operatorFaultOf(key: string): string | undefined {
    return this.states.get(key)?.operatorFault;
  }

  /**
   * How long until an open breaker lets a probe through (0: closed, or its probe is due, or one is
   * in flight). A pin whose cooldown has ended is dropped here too.
   */
  reopensInMs(key: string): number {
    const state = this.states.get(key);
    if (state === undefined || state.openUntil === 0) return 0;
    const now = this.now();
    if (state.pin !== undefined && state.pin.until <= now) state.pin = undefined;
    return Math.max(0, state.openUntil - now);
  }

  /**
   * Every route's breaker now, by route key (`provider/model`), for metrics. Half-open only while
   * a probe is in flight: a breaker whose cooldown has passed with no request to probe it is still
   * open (the route is as dead as when it opened, for all anyone knows), so an alert on "open for
   * two minutes" holds for a dead route with little traffic.
   */
  breakers(): { key: string; state: "closed" | "open" | "half_open" }[] {
    return [...this.states].map(([key, s]) => ({
      key,
      state: s.openUntil === 0 ? "closed" : s.probe !== NO_PROBE ? "half_open" : "open",
    }));
  }

  isOpen(key: string): boolean {
    const state = this.states.get(key);
    return state !== undefined && this.letsNothingThrough(state);
  }

  /** Open, its cooldown still running or its one probe out. */
  private letsNothingThrough(state: RouteState): boolean {
    return state.openUntil !== 0 && (this.now() < state.openUntil || state.probe !== NO_PROBE);
  }

  /**
   * The route answered `requestId` (its `probe` from `admit`). An open breaker is closed by its
   * probe's answer alone: a request sent before it opened that answers now says less than the
   * probe will (and the line would name the wrong request).
   */
  succeeded(key: string, firstByteMs: number, probe: Probe = NO_PROBE, requestId?: string): void {
    const state = this.state(key);
    state.answers++;
    state.latencyMs = withSample(state.latencyMs, firstByteMs);
    if (state.openUntil !== 0) {
      if (!this.isProbe(state, probe)) return;
      this.log.info("route breaker closed: the route answered", {
        ...routeFields(key),
        request_id: requestId,
      });
      state.openUntil = 0;
      state.probe = NO_PROBE;
      state.pin = undefined;
    }
    state.consecutiveFailures = 0;
    state.failedBy = undefined;
    state.operatorFault = undefined;
  }

  /**
   * An attempt on the route waited `waitedMs` and was ended by its connect or first-byte bound, no
   * byte come: its figure is raised as route-latency.ts says (no answer counted, so a route that
   * never answered still ranks as one: `latencyRank`).
   */
  timedOut(key: string, waitedMs: number): void {
    const state = this.state(key);
    state.latencyMs = afterTimeout(state.latencyMs, waitedMs);
  }

  /**
   * A failure of `requestId` (its `probe` from `admit`) that counts against the route; `reason`,
   * its message, for the log line should it open the breaker or be its probe's. One of a request
   * sent before the breaker opened only lengthens the cooldown: the probe in flight, if any, keeps
   * its slot and its verdict. `by`: who served it (`worker:<name>`), never a newcomer for `halfOpen`
   * until the route answers. `operatorFault`: the failure's words for callers when only the
   * operator can mend it, which the breaker's 503 repeats (`operatorFaultOf`).
   */
  failed(
    key: string,
    reason?: string,
    probe: Probe = NO_PROBE,
    requestId?: string,
    by?: string,
    operatorFault?: string,
  ): void {
    const state = this.state(key);
    state.operatorFault = operatorFault;
    const opening = state.openUntil === 0 && state.consecutiveFailures + 1 >= this.policy.failures;
    state.consecutiveFailures++;
    state.failedAt = this.now();
    if (by !== undefined) {
      state.failedBy ??= new Set();
      state.failedBy.add(by);
    }
    if (state.openUntil === 0 && !opening) return;
    state.openUntil = this.now() + this.policy.cooldownMs;
    const probed = this.isProbe(state, probe);
    if (probed || opening) state.pin = undefined;
    if (probed) state.probe = NO_PROBE;
    else if (!opening) return;
    this.log.warn(
      opening ? "route breaker opened: route taken out" : "route breaker probe failed: open again",
      {
        ...routeFields(key),
        request_id: requestId,
        failures: state.consecutiveFailures,
        open_for_ms: this.policy.cooldownMs,
        reason: reason === undefined ? undefined : errorText(reason, true),
      },
    );
  }

  /**
   * A timeout of a bound shorter than `longestMs`, the longest another route to the same upstream
   * model waits for the same (upstream-patience.ts): whether the upstream has answered nothing for
   * `longestMs`, so the timeout counts against the route after all. Such timeouts begin a watch
   * (the clock is read on this path only): the first, or the first after an answer, starts it and
   * does not count; once one comes `longestMs` after the watch began with no answer since, the
   * patient route would have had none in time either, and it counts. Without it a hung upstream
   * opened the breaker only while the patient route still had traffic to time out.
   */
  answeredNothingFor(key: string, longestMs: number): boolean {
    return answeredNothingFor(this.state(key), this.now(), longestMs);
  }

  /**
   * A request ended without a verdict on the route (its client left, its call was refused before
   * it was sent, a failure that counts for nothing): its probe slot, if it held it, goes to the next.
   */
  released(key: string, probe: Probe): void {
    const state = this.states.get(key);
    if (state !== undefined && this.isProbe(state, probe)) state.probe = NO_PROBE;
  }

  /** Whether `probe` is the one the route's half-open breaker is waiting on. */
  private isProbe(state: RouteState, probe: Probe): boolean {
    return probe !== NO_PROBE && probe === state.probe;
  }

  begin(key: string): void {
    const state = this.state(key);
    state.inFlight++;
    state.tried = true;
  }

  end(key: string): void {
    const state = this.state(key);
    state.inFlight = Math.max(0, state.inFlight - 1);
  }

  inFlight(key: string): number {
    return this.states.get(key)?.inFlight ?? 0;
  }

  /**
   * The route's place in a `least-busy` order: its requests in flight; after every route it may
   * take (Infinity) while its breaker lets nothing through (`isOpen`), so it takes no turn among
   * the idle routes that the next one in config order would take in its place.
   */
  busyRank(key: string): number {
    const state = this.states.get(key);
    if (state === undefined) return 0;
    return this.letsNothingThrough(state) ? Number.POSITIVE_INFINITY : state.inFlight;
  }

  latency(key: string): number {
    return this.states.get(key)?.latencyMs ?? 0;
  }

  /**
   * The route's place in a `latency` order: its average once it has answered; 0 (first, to be
   * measured) before any attempt; after the measured ones (Infinity) when tried and never answered,
   * so a route failing every call (a rate limit's 429, which no breaker counts) is not first
   * for every request, and a second request does not wait on the first's measurement.
   */
  latencyRank(key: string): number {
    const state = this.states.get(key);
    if (state === undefined || state.answers > 0) return state?.latencyMs ?? 0;
    return state.tried ? Number.POSITIVE_INFINITY : 0;
  }
}
