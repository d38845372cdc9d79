import { bindApp } from "../apps/bind-app.ts";
import type { AppConfig } from "../config/app-config.ts";
import { createFrontDoor, type FrontDoorDeps } from "../http/front-door.ts";
import { type ModelsRouteDeps, modelHandlers } from "../http/models-route.ts";
import type { AppMount } from "../http/mount-app.ts";
import { responsesRoutes } from "../http/responses-routes.ts";
import type { Provider } from "../providers/provider.ts";

/**
 * One front door per app (`apps:`), sharing every part with the root one; only the caller is
 * narrowed to the app's models and tenant, and its requests' records name the app. Mounted once
 * at start.
 */
export function buildAppMounts(
  apps: readonly AppConfig[],
  deps: FrontDoorDeps,
  models: Omit<ModelsRouteDeps, "guard">,
  /** `routing.max_upstream_body` now: the most of a holder's answer to a stored response's read. */
  maxUpstreamBody: () => number,
  holder?: (name: string, tenant: string) => Provider | undefined,
): AppMount[] {
  return apps.map((app) => {
    const door = createFrontDoor({
      ...deps,
      app,
      authenticate: (inner, bindCaller) =>
        bindApp(deps.authenticate ? deps.authenticate(inner, bindCaller) : inner, app),
    });
    return {
      name: app.name,
      path: app.path,
      dialect: app.frontdoor,
      serveModel: door.serveModel,
      unrouted: door.reject,
      preflight: door.preflight,
      ...modelHandlers({ guard: door.guard, ...models }, app.frontdoor),
      plugins:
        app.frontdoor === "openai"
          ? [
              responsesRoutes({
                guard: door.guard,
                store: deps.responses,
                ...(deps.inFlight ? { inFlight: deps.inFlight } : {}),
                logger: deps.logger,
                serveModel: door.serveModel,
                ...(holder ? { holder } : {}),
                ...(deps.sessions ? { sessions: deps.sessions } : {}),
                ...(deps.holds ? { holds: deps.holds } : {}),
                routes: models.routes,
                maxBody: () => deps.runtime().maxBody,
                maxUpstreamBody,
              }),
            ]
          : [],
    };
  });
}
