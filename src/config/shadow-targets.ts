import type { Config } from "./config-schema.ts";
import type { ShadowTarget } from "./shadow-target.ts";

/** A shadow the config sets, where it is set and whose it is. */
export interface ShadowPlace {
  /** The entry that sets it, as a problem names it: `models[0]`, `tenants[1]`, `apps[2]`. */
  readonly where: string;
  readonly target: ShadowTarget;
  /** The tenant the entry is in (a tenant's own name), if any: whose providers it may shadow to. */
  readonly owner: string | undefined;
}

/**
 * Every shadow the config sets: each model's, and each tenant's and app's, which apply in place of
 * the model's for their callers (shadow/shadow-runner.ts), so any of them may be where a copy goes.
 */
export function shadowTargetsOf(config: Config): ShadowPlace[] {
  return [
    ...config.models.map((model, i) => ({
      where: `models[${i}]`,
      target: model.shadow,
      owner: model.tenant,
    })),
    ...config.tenants.map((tenant, i) => ({
      where: `tenants[${i}]`,
      target: tenant.shadow,
      owner: tenant.name,
    })),
    ...config.apps.map((app, i) => ({ where: `apps[${i}]`, target: app.shadow, owner: app.tenant })),
  ].flatMap(({ target, ...place }) => (target ? [{ ...place, target }] : []));
}

/**
 * Every shadow naming a provider that exists (`known`: the config's providers and the workers
 * route, as a model's routes are checked), in the same words whoever sets it.
 */
export function shadowProblems(config: Config, known: (provider: string) => boolean): string[] {
  return shadowTargetsOf(config)
    .filter(({ target }) => !known(target.provider))
    .map(({ where, target }) => `${where}.shadow.provider: unknown provider "${target.provider}"`);
}
