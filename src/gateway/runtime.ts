import type { Authenticator } from "../auth/authenticate.ts";
import type { Policy } from "../auth/policy.ts";
import type { Config } from "../config/config-schema.ts";
import { configuredCredentials } from "../config/configured-credentials.ts";
import { configuredRoutes } from "../config/configured-routes.ts";
import { holdCredentials } from "../core/credentials.ts";
import { describeError } from "../core/describe-error.ts";
import { timerDelay } from "../core/timer-delay.ts";
import type { RequestRuntime } from "../http/request-runtime.ts";
import { trustedProxiesOf } from "../http/trusted-proxies.ts";
import type { ProviderFactory } from "../providers/create-provider.ts";
import type { Provider } from "../providers/provider.ts";
import type { RouteHealth } from "../routing/route-health.ts";
import { RouteTable, type WorkerDirectory } from "../routing/route-table.ts";
import { createRouter, type RouterDeps } from "../routing/router.ts";
import { bindTenant, type CredentialIssuer, callerBinding } from "../tenants/bind-tenant.ts";
import type { WorkerTerms } from "../workers/gateway/worker-endpoint.ts";
import { carriedRoutes } from "./carried-routes.ts";
import { streamSocketIdleSeconds } from "./stream-socket-idle.ts";

/**
 * Every reloadable part, built once per config version and never changed after: the providers
 * and route table, the breakers (their policy; per-route state carries over), the authenticator
 * (`auth.jwt`, tenants), limits with their prices, the router bound to all of these, worker
 * admission, and the per-request bounds and audit settings. A request takes the current snapshot once, at arrival,
 * and uses it to its end; a reload builds the next snapshot whole and swaps it in, or fails
 * and leaves the current one as it was.
 */
export interface RuntimeSnapshot extends RequestRuntime {
  readonly config: Config;
  readonly providers: ReadonlyMap<string, Provider>;
  readonly table: RouteTable;
  /** This version's breaker policy over the per-route state every version shares. */
  readonly breakers: RouteHealth;
  /**
   * What holds a worker's connection besides its credential (the front door's): its upgrade's
   * admission (`workers.allowed_origins`), and its drain when its key narrows to none of its
   * models (`server.drain_timeout`).
   */
  readonly workerTerms: WorkerTerms;
  /**
   * The credentials this version's config holds (config/configured-credentials.ts), read once as
   * it is built, a service account's key file with them: what its providers loaded is what is
   * taken out of what the gateway says while the version serves.
   */
  readonly credentials: readonly string[];
}

/** @deprecated the snapshot is `RuntimeSnapshot`. */
export type Runtime = RuntimeSnapshot;

/** The long-lived parts a snapshot is built over, each asked for its view of one config version. */
export interface SnapshotParts {
  readonly providers: ProviderFactory;
  readonly workers: WorkerDirectory | undefined;
  readonly upstreamFetch?: typeof fetch;
  /** Per-route breaker state (one for every version); the snapshot takes a view with its policy. */
  readonly health: RouteHealth;
  readonly authenticatorFor: (config: Config) => Authenticator;
  /** Whose credentials it accepts (tenants/bind-tenant.ts): absent, the gateway's own. */
  readonly credentialIssuer?: CredentialIssuer;
  /** Limits and budgets: the version's own view when the policy has one (`forConfig`). */
  readonly policy: Policy;
  /** The router's parts that do not come from config. */
  readonly router: Pick<RouterDeps, "log" | "shadow" | "mayShadow" | "random">;
  /**
   * `server.idle_timeout` as the listener was started with it (restart-only): a stream's socket
   * bound adds it to this version's attempt timeouts. Absent: this version's own value.
   */
  readonly idleTimeoutMs?: number;
}

/**
 * Builds one version's snapshot. When it cannot be built, the providers made for it are handed to
 * `release` (nothing of a version that failed to build stays open) and the error is thrown.
 */
export function buildSnapshot(
  config: Config,
  version: number,
  parts: SnapshotParts,
  release: (providers: Iterable<Provider>) => void = (providers) => void closeEach(providers),
): RuntimeSnapshot {
  const providers = new Map<string, Provider>();
  const context = {
    maxSseLine: config.routing.max_sse_line,
    ...(parts.upstreamFetch ? { fetch: parts.upstreamFetch } : {}),
    warn: parts.router.log,
  };
  try {
    for (const provider of config.providers)
      providers.set(provider.name, madeProvider(provider.name, parts.providers(provider, context)));
    return assemble(config, version, parts, providers);
  } catch (error) {
    release(providers.values());
    throw error;
  }
}

/**
 * What the factory made for `name`, refused at once when it is no provider (a JavaScript
 * embedder's factory that returns nothing, or an async one's Promise): else that provider's routes
 * answered 404 or every chat 500, and the gateway's stop failed on it.
 */
function madeProvider(name: string, made: Provider | undefined): Provider {
  if (typeof made === "object" && made !== null && typeof made.call === "function") return made;
  const thenable =
    typeof made === "object" && made !== null && typeof Reflect.get(made, "then") === "function";
  if (thenable) {
    // Its rejection, if it comes, is this refusal's: never left unhandled.
    Promise.resolve(made).catch(() => {});
    throw new Error(
      `the provider factory returned a Promise for ${name}: it must be synchronous and return a Provider`,
    );
  }
  const what = made === null ? "null" : typeof made === "object" ? "an object without call()" : typeof made;
  throw new Error(
    `the provider factory returned no provider for ${name} (${what}): it must return a Provider`,
  );
}

/**
 * Closes each provider, all at once; one whose close throws or rejects does not keep the others
 * open. Resolves with the errors once every close has settled (an async close is awaited, so its
 * rejection is told, never left unhandled).
 */
async function closeEach(providers: Iterable<Provider>): Promise<unknown[]> {
  const closed = await Promise.allSettled(
    [...new Set(providers)].map(async (provider) => provider.close?.()),
  );
  return closed.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
}

function assemble(
  config: Config,
  version: number,
  parts: SnapshotParts,
  providers: ReadonlyMap<string, Provider>,
): RuntimeSnapshot {
  const table = new RouteTable(config, providers, parts.workers);
  // Only a `*` route's made-up names may lose a failing state at the bound; a configured route's stays.
  const { keys } = configuredRoutes(config);
  const breakers = parts.health.withPolicy(
    {
      failures: config.routing.circuit_breaker.failures,
      cooldownMs: config.routing.circuit_breaker.cooldown,
    },
    (key) => keys.has(key),
  );
  const routing = {
    retries: config.routing.retries,
    backoffMs: config.routing.backoff,
    unsupported: config.translation.unsupported,
    maxSseLine: config.routing.max_sse_line,
    maxUpstreamBody: config.routing.max_upstream_body,
    streamKeepAliveMs: config.routing.stream_keepalive,
  };
  const authenticate = bindTenant(parts.authenticatorFor(config), config, parts.credentialIssuer);
  const bindCaller = callerBinding(config, parts.credentialIssuer);
  // The listener's (restart-only), not this version's own.
  const idleTimeoutMs = parts.idleTimeoutMs ?? config.server.idle_timeout;
  return {
    version,
    config,
    providers,
    table,
    breakers,
    router: createRouter({ ...parts.router, table: () => table, health: breakers, policy: () => routing }),
    routes: (model, tenant) => table.routes(model, tenant),
    authenticate,
    bindCaller,
    workerTerms: {
      admission: { allowedOrigins: config.workers.allowed_origins },
      drainMs: config.server.drain_timeout,
    },
    credentials: configuredCredentials(config),
    limits: parts.policy.forConfig?.(config) ?? parts.policy,
    maxBody: config.server.max_body,
    bodyTimeout: config.server.body_timeout,
    maxClientRequests: config.server.max_client_requests,
    trustedProxies: trustedProxiesOf(config.server.trusted_proxies),
    streamKeepAlive: config.routing.stream_keepalive,
    streamSocketIdle: streamSocketIdleSeconds(config, idleTimeoutMs),
    // As the listener rounds it (gateway/serve-gateway.ts).
    socketIdle: Math.round(idleTimeoutMs / 1000),
    captureBodies: config.audit.bodies,
  };
}

/**
 * Forgets a holder's credentials once the holder is gone without `close()` (an embedder's gateway
 * never stopped): core/credentials.ts holds them by the holder's token, which keeps no holder alive.
 */
const credentialsOfTheGone = new FinalizationRegistry<object>((token) => holdCredentials(token, []));

/**
 * Holds the current snapshot and swaps it whole; a retired version's providers close after a
 * grace, and on `close()`. The credentials of every version in use (each read as its snapshot was
 * built) are known to core/credentials.ts (an upstream that quotes its key to a request of a
 * retiring version is scrubbed all the same), and forgotten on `close()`. A factory may hand the
 * same provider object to several versions (one pooled client): a provider is closed only once no
 * version still in use holds it.
 */
export class RuntimeHolder {
  private snapshot: RuntimeSnapshot;
  /** What core/credentials.ts knows this holder's credentials by. */
  private readonly credentialsToken = {};
  /** Retired versions whose requests may still be running, each with the timer that lets it go. */
  private readonly retiring = new Map<RuntimeSnapshot, ReturnType<typeof setTimeout>>();

  constructor(
    config: Config,
    private readonly parts: SnapshotParts,
  ) {
    this.snapshot = buildSnapshot(config, 1, parts);
    credentialsOfTheGone.register(this, this.credentialsToken, this.credentialsToken);
    this.knowCredentials();
  }

  get current(): RuntimeSnapshot {
    return this.snapshot;
  }

  /**
   * Builds the next version and makes it current. `adopt` is told of it first, in the same turn,
   * and may refuse it by throwing. Throws (and changes nothing) when a part cannot be built from
   * this config or `adopt` refuses it; the current snapshot then keeps serving, whole.
   */
  swap(config: Config, adopt?: (next: RuntimeSnapshot) => void): RuntimeSnapshot {
    const retired = this.snapshot;
    const release = (providers: Iterable<Provider>) => this.release(providers);
    const next = buildSnapshot(config, retired.version + 1, this.parts, release);
    try {
      adopt?.(next);
    } catch (error) {
      release(next.providers.values());
      throw error;
    }
    this.snapshot = next;
    // Breaker state carries over only for routes that still exist on an unchanged provider.
    this.parts.health.forget(carriedRoutes(retired.config, config));
    // Requests already under way keep their old providers; close them once those have had time.
    const grace = setTimeout(() => {
      this.retiring.delete(retired);
      release(retired.providers.values());
      this.knowCredentials();
    }, timerDelay(retired.config.server.drain_timeout));
    grace.unref();
    this.retiring.set(retired, grace);
    this.knowCredentials();
    return next;
  }

  /**
   * Closes every provider of the current version and of those still retiring (on stop, once no
   * request is left). Rejects with an AggregateError when some provider's close threw or
   * rejected; the rest closed.
   */
  async close(): Promise<void> {
    const providers = [...this.snapshot.providers.values()];
    for (const [retired, grace] of this.retiring) {
      clearTimeout(grace);
      providers.push(...retired.providers.values());
    }
    this.retiring.clear();
    holdCredentials(this.credentialsToken, []);
    credentialsOfTheGone.unregister(this.credentialsToken);
    const failures = await closeEach(providers);
    if (failures.length > 0) throw new AggregateError(failures, "closing providers failed");
  }

  /** Tells core/credentials.ts the credentials of the versions in use: the current and those retiring. */
  private knowCredentials(): void {
    const inUse = [this.snapshot, ...this.retiring.keys()];
    holdCredentials(
      this.credentialsToken,
      inUse.flatMap((snapshot) => snapshot.credentials),
    );
  }

  /** Closes those of `providers` that no version in use holds; a close that fails is logged. */
  private release(providers: Iterable<Provider>): void {
    const inUse = new Set<Provider>(this.snapshot.providers.values());
    for (const retired of this.retiring.keys()) for (const p of retired.providers.values()) inUse.add(p);
    const unused = [...providers].filter((provider) => !inUse.has(provider));
    void closeEach(unused).then((failures) => {
      for (const error of failures)
        this.parts.router.log("closing a retired provider failed", { error: describeError(error) });
    });
  }
}
