import { compileGlob, matchesAny } from "../../auth/model-glob.ts";
import type { AppConfig } from "../../config/app-config.ts";
import type { Config } from "../../config/config-schema.ts";
import type { Dialect } from "../../core/dialect.ts";

/**
 * The models a front door's examples name, so that "Try it out" on `/docs` calls one the gateway
 * serves: a chat model for every call but embeddings, an embedding model for those. Absent: none
 * of that kind is configured for every caller of the front door (its example names a model of
 * OpenAI's or Anthropic's). The document is read without a credential, so a tenant's own model
 * (`models[].tenant`) is never one, under an app bound to that tenant too: its callers are the
 * tenant's, but its document's readers are anyone.
 */
export interface ExampleModels {
  readonly chat?: string;
  readonly embeddings?: string;
}

/** Where a front door's client routes are served. */
export interface DocumentedFront {
  /** `""` at the root, else the app's path (`/openai`). */
  readonly prefix: string;
  /** The one dialect an app serves; undefined at the root, which serves both. */
  readonly dialect?: Dialect;
  /** The app (`apps:`) this front door is; undefined at the root. */
  readonly app?: DocumentedApp;
  /** What its examples call. */
  readonly examples?: ExampleModels;
}

/**
 * An app as a document anyone reads may tell it: `models`, its allow-list, without the entries
 * that may name a tenant's own models, as examples never name them: those that reach (by name or
 * alias, either's glob matching the other) tenants' models and none of no tenant, and under an app
 * bound to a tenant, any that reaches no model of no tenant (its tenant's workers may serve it).
 * `unnamedModels` says it had such entries.
 */
export interface DocumentedApp extends Pick<AppConfig, "name" | "models" | "tenant"> {
  readonly unnamedModels: boolean;
}

/**
 * What the config mounts, as far as the OpenAPI document must follow it: the client routes at
 * the root or only under each app, and the route groups the config can switch off. Every field
 * it reads but `models` takes effect at a restart only (restart-only.ts), so the config the routes
 * were mounted from is the one to describe; a reloaded edit of them is "restart required", not
 * served. The examples' models are the config version's in force (docs-routes.ts).
 */
export interface ServedSurface {
  readonly fronts: readonly DocumentedFront[];
  /** `GET /workers/connect` (`workers.enabled`). */
  readonly workers: boolean;
  /** `GET /metrics` on the main listener (`metrics.enabled`). */
  readonly metrics: boolean;
}

/** What the routes were mounted from: the config at start (its fields here are restart-only). */
export type MountedConfig = Pick<Config, "apps" | "workers" | "metrics">;

export function servedSurfaceOf(config: MountedConfig & Partial<Pick<Config, "models">>): ServedSurface {
  const models = config.models ?? [];
  return {
    fronts:
      config.apps.length === 0
        ? [{ prefix: "", examples: exampleModelsOf(models, ["*"]) }]
        : config.apps.map((app) => ({
            prefix: app.path,
            dialect: app.frontdoor,
            app: documentedApp(app, models),
            examples: exampleModelsOf(models, app.models),
          })),
    workers: config.workers.enabled,
    metrics: config.metrics.enabled,
  };
}

function documentedApp(app: AppConfig, models: Config["models"]): DocumentedApp {
  // An entry reaches a model its glob matches a name of, or a model whose glob name serves it
  // (`acme-*` serves `acme-secret-merger-model`).
  const reaches = (entry: string, model: Config["models"][number]) =>
    [model.name, ...model.aliases].some(
      (name) => compileGlob(entry).test(name) || compileGlob(name).test(entry),
    );
  const reachesAny = (entry: string, ofTenant: boolean) =>
    models.some((model) => (model.tenant !== undefined) === ofTenant && reaches(entry, model));
  // `*` tells of no model, and one that reaches a model of no tenant tells of that one. Any other
  // may name a tenant's own: one a tenant's model is reached by, and under an app of a tenant, one
  // reaching no configured model (its workers serve it, if any do: its tenant's, as its callers are).
  const told = (entry: string) =>
    entry === "*" || reachesAny(entry, false) || (app.tenant === undefined && !reachesAny(entry, true));
  return {
    name: app.name,
    models: app.models.filter(told),
    unnamedModels: !app.models.every(told),
    ...(app.tenant ? { tenant: app.tenant } : {}),
  };
}

/** A name that stands for one model, not a glob of many. */
const concrete = (name: string) => !/[*?[\]]/.test(name);
/** An embedding model, as far as its names tell: its own, or its routes' upstream models. */
const embeds = (model: Config["models"][number]) =>
  /embed/i.test(model.name) || model.routes.some((route) => /embed/i.test(route.model));

/**
 * The first configured model of each kind that `allowed` (an app's `models`, globs allowed, `*` for
 * all) lets a caller name, and that anyone may be told of: one of no tenant. Its name, or the first
 * alias `allowed` matches where its name is not (a caller names an alias as it is).
 */
function exampleModelsOf(models: Config["models"], allowed: readonly string[]): ExampleModels {
  const callable = models.flatMap((model) => {
    if (model.tenant !== undefined) return [];
    const name = [model.name, ...model.aliases].find((name) => concrete(name) && matchesAny(allowed, name));
    return name === undefined ? [] : [{ model, name }];
  });
  const chat = callable.find(({ model }) => !embeds(model))?.name;
  const embeddings = callable.find(({ model }) => embeds(model))?.name;
  return { ...(chat ? { chat } : {}), ...(embeddings ? { embeddings } : {}) };
}
