import type { AppConfig } from "../../config/app-config.ts";
import type { Config } from "../../config/config-schema.ts";
import type { Dialect } from "../../core/dialect.ts";

/** Where a front door's client routes are served. */
export interface DocumentedFront {
  /** `""` at the root, else the app's path (`/openai`). */
  readonly prefix: string;
  /** The one dialect an app serves; undefined at the root, which serves both. */
  readonly dialect?: Dialect;
  /** The app (`apps:`) this front door is; undefined at the root. */
  readonly app?: Pick<AppConfig, "name" | "models" | "tenant">;
}

/**
 * What the config mounts, as far as the OpenAPI document must follow it: the client routes at
 * the root or only under each app, and the route groups the config can switch off. Every field
 * it reads takes effect at a restart only (restart-only.ts), so the config the routes were
 * mounted from is the one to describe; a reloaded edit of them is "restart required", not served.
 */
export interface ServedSurface {
  readonly fronts: readonly DocumentedFront[];
  /** `GET /workers/connect` (`workers.enabled`). */
  readonly workers: boolean;
  /** `GET /metrics` on the main listener (`metrics.enabled`). */
  readonly metrics: boolean;
}

export function servedSurfaceOf(config: Pick<Config, "apps" | "workers" | "metrics">): ServedSurface {
  return {
    fronts:
      config.apps.length === 0
        ? [{ prefix: "" }]
        : config.apps.map((app) => ({
            prefix: app.path,
            dialect: app.frontdoor,
            app: { name: app.name, models: app.models, ...(app.tenant ? { tenant: app.tenant } : {}) },
          })),
    workers: config.workers.enabled,
    metrics: config.metrics.enabled,
  };
}
