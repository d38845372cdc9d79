import { RESERVED_PATHS } from "./app-config.ts";
import type { Config } from "./config-schema.ts";
import { shadowTargetsOf } from "./shadow-targets.ts";
import { DEFAULT_TENANT } from "./tenant-config.ts";

/**
 * Tenant and app rules that span sections: names unique, every `tenant:` naming a configured tenant,
 * and a tenant's own provider reachable only from that tenant's models (so isolation of
 * provider accounts follows from model visibility); every shadow, a model's, a tenant's or an
 * app's, naming a provider its entry's tenant may use (that the provider exists is
 * `shadowProblems`', shadow-targets.ts).
 */
export function tenantCrossCheck(config: Config): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  config.tenants.forEach((tenant, i) => {
    if (names.has(tenant.name)) problems.push(`tenants[${i}].name: duplicate tenant "${tenant.name}"`);
    names.add(tenant.name);
  });
  const unknown = (name: string) => `unknown tenant "${name}"`;
  // A token without the tenant claim is in this tenant: once tenants are listed, one of them (or
  // outside every tenant), as a token naming one must be (auth/jwt-claims.ts).
  const jwtTenant = config.auth.jwt?.default_tenant;
  if (names.size > 0 && jwtTenant !== undefined && jwtTenant !== DEFAULT_TENANT && !names.has(jwtTenant))
    problems.push(`auth.jwt.default_tenant: ${unknown(jwtTenant)}`);
  const providerTenant = new Map<string, string>();
  config.providers.forEach((provider, i) => {
    if (provider.tenant === undefined) return;
    if (!names.has(provider.tenant)) problems.push(`providers[${i}].tenant: ${unknown(provider.tenant)}`);
    providerTenant.set(provider.name, provider.tenant);
  });
  config.models.forEach((model, i) => {
    if (model.tenant !== undefined && !names.has(model.tenant))
      problems.push(`models[${i}].tenant: ${unknown(model.tenant)}`);
    model.routes.forEach((route, j) => {
      const owner = providerTenant.get(route.provider);
      if (owner !== undefined && owner !== model.tenant)
        problems.push(
          `models[${i}].routes[${j}].provider: provider "${route.provider}" belongs to tenant "${owner}"; only a model with tenant: ${owner} may use it`,
        );
    });
  });
  if (config.events.redis_stream && config.events.redis_stream.url === undefined && !config.cluster)
    problems.push(
      "events.redis_stream.url: needed without cluster: (whose cluster.redis_url it uses otherwise)",
    );
  for (const { where, target, owner } of shadowTargetsOf(config)) {
    const belongs = providerTenant.get(target.provider);
    if (belongs !== undefined && belongs !== owner)
      problems.push(
        `${where}.shadow.provider: provider "${target.provider}" belongs to tenant "${belongs}"; only a model, app or tenant in tenant ${belongs} may shadow to it`,
      );
  }
  const paths = new Map<string, number>();
  const appNames = new Set<string>();
  config.apps.forEach((app, i) => {
    if (appNames.has(app.name)) problems.push(`apps[${i}].name: duplicate app "${app.name}"`);
    appNames.add(app.name);
    if (app.tenant !== undefined && !names.has(app.tenant))
      problems.push(`apps[${i}].tenant: ${unknown(app.tenant)}`);
    const reserved = RESERVED_PATHS.find((path) => app.path === path || app.path.startsWith(`${path}/`));
    if (reserved) problems.push(`apps[${i}].path: ${reserved} is the gateway's own`);
    for (const [other, j] of paths) {
      if (app.path === other || app.path.startsWith(`${other}/`) || other.startsWith(`${app.path}/`))
        problems.push(`apps[${i}].path: "${app.path}" overlaps apps[${j}].path "${other}"`);
    }
    paths.set(app.path, i);
  });
  return problems;
}
