import type { Config, RouteConfig, Timeouts } from "../config/config-schema.ts";
import { WORKERS_PROVIDER } from "../config/config-schema.ts";
import type { FallbackClass } from "../config/fallback-classes.ts";
import { routeWeight } from "../config/model-config.ts";
import { type KnownAs, ModelIndex } from "../models/model-index.ts";
import { PASS_NAME } from "../models/pass-name.ts";
import { catalogueContextWindow } from "../pricing/catalogue.ts";
import type { AttemptTimeouts, Provider } from "../providers/provider.ts";
import type { Strategy } from "./order-routes.ts";
import { attemptInfo, type Route } from "./route.ts";
import { RouteTurns } from "./route-turns.ts";
import { UpstreamPatience } from "./upstream-patience.ts";

/**
 * What the router needs to know of connected workers. A caller of a tenant is routed only to its
 * own tenant's workers and the default tenant's: the models only other tenants' workers serve do
 * not exist for it.
 */
export interface WorkerDirectory {
  readonly provider: Provider;
  /** Whether a worker serves `model` to a caller of `tenant`; to anyone when none is given (a metrics label). */
  servesModel(model: string, tenant?: string): boolean;
  /** What workers serve to a caller of `tenant`; every worker's when none is given (a gateway-wide admin's view). */
  models(tenant?: string): string[];
}

export interface ModelPlan {
  readonly strategy: Strategy;
  readonly routes: readonly Route[];
  /** Failures to fail over on at once (`fallback_on`); empty for worker-only models. */
  readonly fallbackOn?: ReadonlySet<FallbackClass>;
  readonly shadow?: { readonly route: Route; readonly sample: number };
  /** The entry's turns (`least-busy` ties, `latency`'s exploring); its own, kept by its `*` plans. */
  readonly turns?: RouteTurns;
}

const toAttempt = (t: Timeouts): AttemptTimeouts => ({
  connectMs: t.connect,
  firstByteMs: t.first_byte,
  idleMs: t.idle,
});

/**
 * What `routedAs` says of a model only connected workers serve: the workers are what routes it.
 * Worker credentials choose those names (up to 1,000 a register), and a label per name would stay
 * after the worker has gone.
 */
export const WORKER_MODELS = "workers";

/**
 * A plan with its `*` routes made concrete for one client model name: each shares the health of
 * the routes configured to that model, and waits for it as long as they do.
 */
function named(plan: ModelPlan, model: string, patience: UpstreamPatience): ModelPlan {
  const routes = plan.routes.map((route) => {
    if (route.upstreamModel !== PASS_NAME) return route;
    const key = route.key.replace(/\/\*$/, `/${model}`);
    const waits = route.patience ?? route.timeouts;
    return { ...route, upstreamModel: model, key, patience: patience.widen(key, waits) };
  });
  return { ...plan, routes };
}

/**
 * Whether a route of the plan sends the client's name on. A loop: `some` with an arrow would make
 * a closure and its scope on every call, and this runs on every request's dispatch.
 */
function passesName(plan: ModelPlan): boolean {
  for (const route of plan.routes) if (route.upstreamModel === PASS_NAME) return true;
  return false;
}

/**
 * The config's `models:` resolved against live providers: an immutable snapshot, swapped
 * whole on reload. Models that only a connected worker serves resolve at lookup time.
 */
export class RouteTable {
  private readonly plans = new ModelIndex<ModelPlan>();
  /** How long the configured routes to each upstream model wait for it, before any route is made. */
  private readonly patience: UpstreamPatience;

  constructor(
    private readonly config: Config,
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly workers?: WorkerDirectory,
  ) {
    this.patience = new UpstreamPatience(config.models, (route) => this.timeoutsOf(route));
    for (const model of config.models) {
      const refusalFailsOver = model.fallback_on.includes("content_policy");
      const routes = model.routes.flatMap((route) => this.route(route, refusalFailsOver, model.name) ?? []);
      const shadowRoute = model.shadow && this.route(model.shadow);
      this.plans.add(model.name, model.aliases, {
        strategy: model.strategy,
        routes,
        ...(model.strategy === "least-busy" || model.strategy === "latency"
          ? { turns: new RouteTurns() }
          : {}),
        fallbackOn: new Set(model.fallback_on),
        ...(model.shadow && shadowRoute
          ? { shadow: { route: shadowRoute, sample: model.shadow.sample } }
          : {}),
      });
    }
  }

  /**
   * The plan for a client's model name: its entry in `models:` by exact name or alias, else the
   * most specific glob (model-index.ts), else the workers when one serves the name to a caller of
   * `tenant`. A route whose `model` is `*` sends the client's name on.
   */
  resolve(model: string, tenant: string): ModelPlan | undefined {
    const planned = this.plans.match(model)?.plan;
    if (planned) return passesName(planned) ? named(planned, model, this.patience) : planned;
    if (this.workers?.servesModel(model, tenant)) {
      const route = this.route({ provider: WORKERS_PROVIDER, model });
      if (route) return { strategy: "priority", routes: [route] };
    }
    return undefined;
  }

  /**
   * What `resolve(model)` finds the plan by: the configured name or alias, or the glob that
   * matched (`claude-*`, never the client's `claude-whatever`); `WORKER_MODELS` when only
   * connected workers serve it (a name the workers chose); undefined when nothing does. Without
   * making a plan (a `*` route's is built per lookup): metrics ask this of every request to label
   * its model with a name from the config, not one a client or a worker made up.
   */
  routedAs(model: string): string | undefined {
    const pattern = this.plans.patternOf(model);
    if (pattern !== undefined) return pattern;
    return this.workers?.servesModel(model) === true ? WORKER_MODELS : undefined;
  }

  /**
   * Whether a caller of `tenant` has a route for the model (a configured one, or a worker's it may
   * use), and how the name is known: one lookup tells the gateway both whether to answer 404 and
   * whether the name may be recorded as it came.
   */
  routes(model: string, tenant: string): KnownAs | undefined {
    return this.plans.knownAs(model) ?? (this.workers?.servesModel(model, tenant) ? "matched" : undefined);
  }

  /** Every model name a caller of `tenant` may be routed by: configured ones, then worker-only ones. */
  modelNames(tenant: string): string[] {
    const names = new Set(this.plans.names());
    for (const model of this.workers?.models(tenant) ?? []) names.add(model);
    return [...names];
  }

  /** The route a shadow target (a tenant's or an app's) sends its copies to; undefined when unknown. */
  shadowRoute(target: { provider: string; model: string }): Route | undefined {
    return this.route({ provider: target.provider, model: target.model });
  }

  private route(
    route: Omit<RouteConfig, "timeouts"> & Partial<Pick<RouteConfig, "timeouts">>,
    refusalFailsOver = false,
    /** The `models:` entry it is a route of (none: a shadow target, a worker-only model). */
    entry?: string,
  ): Route | undefined {
    const provider =
      route.provider === WORKERS_PROVIDER ? this.workers?.provider : this.providers.get(route.provider);
    if (!provider) return undefined;
    const providerConfig = this.config.providers.find((p) => p.name === route.provider);
    const timeouts = this.timeoutsOf(route);
    const key = `${route.provider}/${route.model}`;
    const contextWindow =
      route.context_window ??
      (providerConfig ? catalogueContextWindow(providerConfig, route.model) : undefined);
    const label = route.provider === WORKERS_PROVIDER ? "workers" : `provider:${route.provider}`;
    return {
      ...(contextWindow ? { contextWindow } : {}),
      ...(refusalFailsOver ? { refusalFailsOver } : {}),
      provider,
      upstreamModel: route.model,
      weight: routeWeight(route),
      timeouts,
      key,
      // Those of the routes to this model, and of the `*` routes that may send its name too.
      patience: this.patience.of(route, entry, timeouts),
      label,
      firstTry: attemptInfo({ label, provider, upstreamModel: route.model }, 0, false),
    };
  }

  /** The route's bounds: its own, else its provider's, else `routing.timeouts`. */
  private timeoutsOf(
    route: Pick<RouteConfig, "provider"> & Partial<Pick<RouteConfig, "timeouts">>,
  ): AttemptTimeouts {
    const providerConfig = this.config.providers.find((p) => p.name === route.provider);
    return toAttempt({
      ...this.config.routing.timeouts,
      ...providerConfig?.timeouts,
      ...route.timeouts,
    } as Timeouts);
  }
}
