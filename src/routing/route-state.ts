import { NO_PROBE, type Probe } from "./breaker-probe.ts";
import type { ProbePin } from "./probe-newly-served.ts";

/** Per-route state that outlives config reloads: breaker, in-flight count, latency. */
export interface RouteState {
  consecutiveFailures: number;
  /** Epoch ms until which the breaker is open, on the health's steady clock (route-health.ts); 0 when closed. */
  openUntil: number;
  /** While half-open, the one request let through to probe the route (its token); `NO_PROBE` when none. */
  probe: Probe;
  inFlight: number;
  /** Exponentially weighted moving average of time to first byte, ms. */
  latencyMs: number;
  /** Epoch ms of the last failure, on the health's clock; 0 when none. */
  failedAt: number;
  /** Answers so far (`succeeded`): a count, so an answer reads no clock. */
  answers: number;
  /** Whether an attempt has been sent on the route (`begin`): one tried that never answered is not unmeasured. */
  tried: boolean;
  /**
   * Epoch ms (the health's clock) of the first timeout of a bound shorter than the longest for the same wait since the
   * route last answered (`answeredNothingFor`), and `answers` then; 0 when none.
   */
  outwaitedSince: number;
  answersThen: number;
  /** Epoch ms (the health's clock) a newcomer last half-opened the breaker (`halfOpen`: one a cooldown); 0 never. */
  halfOpenedAt: number;
  /** Who served the failures counted since the route last answered (`failed`'s `by`); made at the first. */
  failedBy: Set<string> | undefined;
  /** The newcomer a half-open's probe goes to (`halfOpen`). */
  pin: ProbePin | undefined;
  /**
   * The last counted failure's words for callers when only the operator can mend it (the
   * gateway's credentials or account refused: `failed`'s `operatorFault`), until the route answers.
   */
  operatorFault: string | undefined;
}

/** A route's state before any request: breaker closed, nothing counted. */
export function newRouteState(): RouteState {
  return {
    consecutiveFailures: 0,
    openUntil: 0,
    probe: NO_PROBE,
    inFlight: 0,
    latencyMs: 0,
    failedAt: 0,
    answers: 0,
    tried: false,
    outwaitedSince: 0,
    answersThen: 0,
    halfOpenedAt: 0,
    failedBy: undefined,
    pin: undefined,
    operatorFault: undefined,
  };
}

/**
 * Route states kept before the idle ones are dropped. A route whose `model` is `*` keeps a state
 * per model name it passed on, and clients choose those names: without a bound, made-up names
 * would grow the map for as long as the provider stays configured. A config's own routes are
 * far fewer than this.
 */
export const MOST_ROUTE_STATES = 10_000;

/**
 * Cooldowns without a failure after which a failing state a `*` route made may be dropped like an
 * idle one: a made-up name it passed on fails and never comes again, and would otherwise be kept
 * for good. A route failing now stays, its count and breaker as they are; a configured route's
 * state is never dropped for its failures (its breaker gauge series would vanish, and an alert on
 * it resolve, while the route is still dead).
 */
export const FAILING_KEPT_COOLDOWNS = 3;

/**
 * Whether the upstream has answered nothing for `longestMs` (RouteHealth.answeredNothingFor), the
 * watch begun or begun again at `now` on the first such timeout since the route last answered.
 */
export function answeredNothingFor(state: RouteState, now: number, longestMs: number): boolean {
  if (state.outwaitedSince === 0 || state.answers !== state.answersThen) {
    state.outwaitedSince = now;
    state.answersThen = state.answers;
    return false;
  }
  return now - state.outwaitedSince >= longestMs;
}

/**
 * Drops the states that say nothing a new one would not: breaker closed with no failure counted,
 * nothing in flight (only the latency average goes, measured again by the next success). Open
 * or failing breakers and busy routes stay, so the bound never lets a failing upstream back in;
 * one a `*` route made goes once it last failed before `failedBefore` (`FAILING_KEPT_COOLDOWNS`
 * cooldowns ago: no traffic came since), a configured route's never.
 */
export function dropIdle(
  states: Map<string, RouteState>,
  failedBefore: number,
  configured: (key: string) => boolean,
): void {
  for (const [key, state] of states) {
    if (state.inFlight > 0) continue;
    const clean = state.openUntil === 0 && state.consecutiveFailures === 0;
    if (clean || (state.failedAt < failedBefore && !configured(key))) states.delete(key);
  }
}
