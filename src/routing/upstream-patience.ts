import type { ModelConfig, RouteConfig } from "../config/config-schema.ts";
import { ModelIndex } from "../models/model-index.ts";
import { PASS_NAME } from "../models/pass-name.ts";
import type { AttemptTimeouts } from "../providers/provider.ts";

/**
 * How long the routes to each upstream model wait for it, phase by phase: the longest bounds of
 * every configured route whose health is kept under the same key (`provider/model`).
 *
 * Routes to one upstream model share one breaker, whatever their own timeouts. A timeout of a
 * bound shorter than another route's for the same wait says the upstream was slower than that
 * route allows, not that it is down: counted, a model entry with a 1 s `first_byte` would open the
 * breaker of one with 10 minutes, which the upstream never kept waiting past its bound (until it
 * has answered nothing for that long: `RouteHealth.answeredNothingFor`).
 *
 * A route whose `model` is `*` sends the client's name on, under that name's key: it shares the
 * health of the routes to that upstream model only for a name its own entry is the one matched by
 * (model-index.ts: an exact name or alias first, then the most specific glob). A catch-all `*`
 * waiting ten minutes never sends `gpt-4o` when an entry is named `gpt-4o`, so it stretches that
 * entry's 30 s bound of its own to nothing.
 */
export class UpstreamPatience {
  private readonly longest = new Map<string, AttemptTimeouts>();

  /** The config's client-facing routes (a shadow copy never judges a breaker), each waiting `timeoutsOf(route)`. */
  constructor(models: readonly ModelConfig[], timeoutsOf: (route: RouteConfig) => AttemptTimeouts) {
    const entries = new ModelIndex<ModelConfig>();
    for (const model of models) entries.add(model.name, model.aliases, model);
    for (const model of models)
      for (const route of model.routes) {
        if (route.model === PASS_NAME) {
          this.add(passingKey(model.name, route.provider), timeoutsOf(route));
          continue;
        }
        const key = `${route.provider}/${route.model}`;
        this.add(key, timeoutsOf(route));
        // A client naming the upstream model reaches this entry: its `*` routes send the name too.
        const reached = entries.planOf(route.model);
        for (const other of reached?.routes ?? [])
          if (other.model === PASS_NAME && other.provider === route.provider)
            this.add(key, timeoutsOf(other));
      }
  }

  /**
   * A route's patience: its `timeouts`, lengthened where another route kept under the same key
   * waits longer (the same object when none does). A `*` route of `entry` is kept with the entry's
   * other `*` routes to its provider until a client's name makes it concrete (`widen`); one of no
   * entry (a shadow target) waits its own bounds.
   */
  of(route: Pick<RouteConfig, "provider" | "model">, entry: string | undefined, timeouts: AttemptTimeouts) {
    if (route.model !== PASS_NAME) return this.widen(`${route.provider}/${route.model}`, timeouts);
    return entry === undefined ? timeouts : this.widen(passingKey(entry, route.provider), timeouts);
  }

  /** `timeouts`, lengthened where a route counted under `key` waits longer (the same object when none does). */
  widen(key: string, timeouts: AttemptTimeouts): AttemptTimeouts {
    return longerOf(timeouts, this.longest.get(key));
  }

  private add(key: string, timeouts: AttemptTimeouts): void {
    this.longest.set(key, longerOf(timeouts, this.longest.get(key)));
  }
}

/** Where an entry's `*` routes to a provider are kept: no route key has a NUL in it. */
const passingKey = (entry: string, provider: string) => `${provider}/*\0${entry}`;

/** Each phase's longer bound of the two; `a` itself when it is at least as long in each. */
function longerOf(a: AttemptTimeouts, b: AttemptTimeouts | undefined): AttemptTimeouts {
  if (
    b === undefined ||
    (b.connectMs <= a.connectMs && b.firstByteMs <= a.firstByteMs && b.idleMs <= a.idleMs)
  )
    return a;
  return {
    connectMs: Math.max(a.connectMs, b.connectMs),
    firstByteMs: Math.max(a.firstByteMs, b.firstByteMs),
    idleMs: Math.max(a.idleMs, b.idleMs),
  };
}
