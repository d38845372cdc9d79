import type { Authenticator } from "../auth/authenticate.ts";
import type { Principal, TenantRules } from "../auth/principal.ts";
import type { Config } from "../config/config-schema.ts";

/** Every tenant's rules under one config: built once per config object, read per request. */
function rulesByTenant(config: Config): { byName: Map<string, TenantRules>; scoped: [string, string][] } {
  const scoped = config.models.flatMap((model) =>
    model.tenant === undefined ? [] : [[model.name, model.tenant] as [string, string]],
  );
  const byName = new Map<string, TenantRules>();
  for (const tenant of config.tenants) {
    byName.set(tenant.name, {
      bound: true,
      models: tenant.models,
      hidden: scoped.filter(([, owner]) => owner !== tenant.name).map(([name]) => name),
      ...(tenant.rpm !== undefined ? { rpm: tenant.rpm } : {}),
      ...(tenant.tpm !== undefined ? { tpm: tenant.tpm } : {}),
      ...(tenant.budget ? { budget: tenant.budget } : {}),
      ...(tenant.shadow ? { shadow: tenant.shadow } : {}),
    });
  }
  return { byName, scoped };
}

const cache = new WeakMap<Config, ReturnType<typeof rulesByTenant>>();

/** The tenant rules for a caller of `tenant` under this config; undefined when none apply. */
export function tenantRulesFor(config: Config, tenant: string): TenantRules | undefined {
  let rules = cache.get(config);
  if (!rules) {
    rules = rulesByTenant(config);
    cache.set(config, rules);
  }
  const own = rules.byName.get(tenant);
  if (own) return own;
  // A caller outside every configured tenant is unbound, but still must not see scoped models.
  return rules.scoped.length > 0
    ? { bound: false, models: ["*"], hidden: rules.scoped.map(([name]) => name) }
    : undefined;
}

/**
 * Wraps an authenticator so every principal carries its tenant's rules from this config version
 * (a reload of `tenants:` builds a new one: it applies to the next request, keys unchanged). A
 * config with no tenant and no tenant-scoped model binds no caller: the authenticator is taken as
 * it is, with no wrapper (a promise and its reaction a request).
 */
export function bindTenant(authenticate: Authenticator, config: Config): Authenticator {
  if (config.tenants.length === 0 && config.models.every((model) => model.tenant === undefined))
    return authenticate;
  const bind = (principal: Principal): Principal => {
    const tenantRules = tenantRulesFor(config, principal.tenant);
    return tenantRules ? ({ ...principal, tenantRules } satisfies Principal) : principal;
  };
  // `then` rather than an async function: one promise a request, no async frame. An embedder's
  // authenticator that throws still gives a rejected promise, as an async wrapper would.
  return (headers) => {
    try {
      return authenticate(headers).then(bind);
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
