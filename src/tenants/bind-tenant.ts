import { type Authenticator, refused } from "../auth/authenticate.ts";
import type { Principal, TenantRules } from "../auth/principal.ts";
import type { Config } from "../config/config-schema.ts";
import { DEFAULT_TENANT } from "../config/tenant-config.ts";
import { ModelIndex } from "../models/model-index.ts";

/**
 * The tenant each client model name belongs to, undefined for everyone's: the tenant of the
 * `models:` entry the name resolves to, found as the route table finds it (models/model-index.ts:
 * an exact name or alias, else the most specific glob). Every entry is indexed, everyone's too, so
 * an alias or glob of a scoped model is that tenant's alone, while a name of everyone's that a
 * scoped glob would also match stays everyone's (it routes to everyone's entry).
 */
function ownersOf(config: Config): ModelIndex<string | undefined> {
  const owners = new ModelIndex<string | undefined>();
  for (const model of config.models) owners.add(model.name, model.aliases, model.tenant);
  return owners;
}

/** Every tenant's rules under one config: built once per config object, read per request. */
function rulesByTenant(config: Config): {
  byName: Map<string, TenantRules>;
  outsider: TenantRules | undefined;
} {
  const owners = ownersOf(config);
  const scoped = new Set(config.models.flatMap((model) => model.tenant ?? []));
  // What a caller of `tenant` may not see: the names of any other tenant's models (none: nothing).
  const hidesFrom = (tenant: string | undefined) =>
    [...scoped].some((owner) => owner !== tenant)
      ? (model: string) => {
          const owner = owners.planOf(model);
          return owner !== undefined && owner !== tenant;
        }
      : undefined;
  const byName = new Map<string, TenantRules>();
  for (const tenant of config.tenants) {
    const hides = hidesFrom(tenant.name);
    byName.set(tenant.name, {
      bound: true,
      models: tenant.models,
      ...(hides ? { hides } : {}),
      ...(tenant.rpm !== undefined ? { rpm: tenant.rpm } : {}),
      ...(tenant.tpm !== undefined ? { tpm: tenant.tpm } : {}),
      ...(tenant.budget ? { budget: tenant.budget } : {}),
      ...(tenant.shadow ? { shadow: tenant.shadow } : {}),
    });
  }
  // A caller outside every configured tenant is unbound, but still must not see scoped models.
  const hides = hidesFrom(undefined);
  return { byName, outsider: hides ? { bound: false, models: ["*"], hides } : undefined };
}

const cache = new WeakMap<Config, ReturnType<typeof rulesByTenant>>();

function rulesOf(config: Config): ReturnType<typeof rulesByTenant> {
  let rules = cache.get(config);
  if (!rules) {
    rules = rulesByTenant(config);
    cache.set(config, rules);
  }
  return rules;
}

/** The tenant rules for a caller of `tenant` under this config; undefined when none apply. */
export function tenantRulesFor(config: Config, tenant: string): TenantRules | undefined {
  const rules = rulesOf(config);
  return rules.byName.get(tenant) ?? rules.outsider;
}

/**
 * Whether a caller of `tenant` is refused under this config: `tenants:` lists some, and not this
 * one (nor is it `default`, outside every tenant). A key whose tenant a reload removed would
 * otherwise be bound by no tenant's models, limits or budget, a platform-wide key; it is refused as
 * a JWT naming that tenant is (auth/jwt-claims.ts). With no tenant listed at all, a key's tenant is
 * a free label, as a token's claim is.
 */
export const tenantUnconfigured = (config: Config, tenant: string): boolean =>
  config.tenants.length > 0 && tenant !== DEFAULT_TENANT && !rulesOf(config).byName.has(tenant);

/**
 * Who issued the credentials an authenticator accepts: the gateway (its API keys; a JWT's tenant
 * claim is checked where it is read, auth/jwt-claims.ts), or an embedder's own authenticator
 * (`createGateway`'s `auth`), the authority for the tenants its principals name.
 */
export type CredentialIssuer = "gateway" | "embedder";

/** A principal as this config version binds its caller: with its tenant's rules, or refused. */
export type CallerBinding = (principal: Principal) => Principal;

/** A principal bound by no tenant: rules it carries from an older version (a stored session's) dropped. */
const unbound: CallerBinding = (principal) => {
  if (principal.tenantRules === undefined) return principal;
  const { tenantRules: _, ...rest } = principal;
  return rest;
};

/**
 * How callers are bound under this config: each principal carries its tenant's rules (a reload of
 * `tenants:` builds a new binding: it applies to the next request, keys unchanged), and a caller
 * the gateway issued a credential to, of a tenant the config no longer lists, is refused
 * (`tenantUnconfigured`: the uniform 401, `unknown_tenant` in the access line). An embedder's
 * principal of a tenant not listed is served (`issuer`: "embedder"): its authenticator knows its
 * teams, the config need not. It is bound as a caller outside every tenant is for the models it
 * may see, yet its tenant name still holds it for reads and key management (auth/key-scope.ts
 * `managedTenant`): only a principal of `default` is every tenant's.
 * Undefined when the config has no tenant and no tenant-scoped model: it binds no caller.
 */
function tenantBinding(config: Config, issuer: CredentialIssuer): CallerBinding | undefined {
  if (config.tenants.length === 0 && config.models.every((model) => model.tenant === undefined))
    return undefined;
  return (principal) => {
    if (issuer === "gateway" && tenantUnconfigured(config, principal.tenant))
      throw refused(
        "unknown_tenant",
        `${JSON.stringify(principal.tenant.slice(0, 64))} is no configured tenant`,
      );
    const tenantRules = tenantRulesFor(config, principal.tenant);
    return tenantRules ? ({ ...principal, tenantRules } satisfies Principal) : unbound(principal);
  };
}

/**
 * Wraps an authenticator so every principal is bound by this config version (`tenantBinding`). A
 * config that binds no caller takes the authenticator as it is, with no wrapper (a promise and its
 * reaction a request).
 */
export function bindTenant(
  authenticate: Authenticator,
  config: Config,
  issuer: CredentialIssuer = "gateway",
): Authenticator {
  const bind = tenantBinding(config, issuer);
  if (!bind) return authenticate;
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

/**
 * How this config version binds a caller its authenticator did not admit (a web UI session's
 * principal, admin-ui/session-auth.ts): by the very rules `bindTenant` binds a credential header's
 * with. Built beside that authenticator, on the version's snapshot (gateway/runtime.ts), and handed
 * on from there. A version that binds nobody is a binding too: it drops the rules a stored
 * principal carries from the version it was signed in under.
 */
export const callerBinding = (config: Config, issuer: CredentialIssuer = "gateway"): CallerBinding =>
  tenantBinding(config, issuer) ?? unbound;
