import { type AnyElysia, Elysia } from "elysia";
import { shown } from "../core/cut-words.ts";
import type { Dialect } from "../core/dialect.ts";
import { GatewayError, methodNotAllowed, notFound, upgradeRequired } from "../core/gateway-error.ts";
import { AllowedMethods } from "./allowed-methods.ts";
import { clientIpOf } from "./client-of.ts";
import { clientProbes } from "./client-probes.ts";
import { bunRoutesOf, frontRoutesOf, type ModelFront } from "./front-routes.ts";
import { modelsDialectOf } from "./models-route.ts";
import { type AppMount, mountApp, mountOf, unknownPathMessage } from "./mount-app.ts";
import { requestIdHeader } from "./request-id.ts";
import { routableRequest } from "./routable-request.ts";

/**
 * Why the gateway takes no traffic now, as `/readyz` says it: a stop is draining it, or a part it
 * cannot serve without is down (`reason`, e.g. `audit storage: disk I/O error`).
 */
export type NotReady =
  | { readonly status: "draining" }
  | { readonly status: "unavailable"; readonly reason: string };

export interface AppDeps extends ModelFront {
  /** Undefined while the gateway is ready. */
  readonly notReady: () => NotReady | undefined;
  /** Extra fields for the /readyz body (a cluster node: Redis, limits, live nodes). */
  readonly readyDetail?: () => Record<string, unknown>;
  /** Answers (and accounts for) a request no route matched. */
  readonly unrouted: (
    request: Request,
    clientIp: string | null,
    error: GatewayError,
    dialect: Dialect,
  ) => Response;
  /**
   * Answers (and accounts for) an OPTIONS request on a routed path: a CORS preflight or a client
   * asking what it may send. `allow`: the path's methods, for the `Allow` header.
   */
  readonly preflight: (
    request: Request,
    clientIp: string | null,
    allow: string,
    dialect: Dialect,
  ) => Response;
  /** Server-wide WebSocket settings (Bun sets them per server, not per route). */
  readonly websocket?: ConstructorParameters<typeof Elysia>[0] extends infer C
    ? C extends { websocket?: infer W }
      ? W
      : never
    : never;
  /** Further route groups (admin API, worker endpoint, stored responses), mounted as given. */
  readonly plugins?: readonly AnyElysia[];
  /** Apps (`apps:`): when any is given, model routes live only under their prefixes. */
  readonly mounts?: readonly AppMount[];
}

/** Composes the HTTP surface. Handlers hold no logic of their own: they call the pipelines. */
export function createApp(deps: AppDeps) {
  const mounts = deps.mounts ?? [];
  // The common request's routes (apps: under each app's path, of its dialect only). Listening,
  // Bun's route table answers them (`serve.routes` overrides the handler Elysia would map there).
  const front =
    mounts.length === 0
      ? frontRoutesOf(deps)
      : mounts.flatMap((mount) => frontRoutesOf(mount, mount.path, mount.dialect));
  // The methods each path is routed for, read off the whole app at the first request no route
  // answered (and again should routes have been added since).
  let allowed: { methods: AllowedMethods; routes: number } | undefined;
  const allowedMethods = (): AllowedMethods => {
    if (allowed?.routes !== app.routes.length)
      allowed = { methods: new AllowedMethods(app.routes), routes: app.routes.length };
    return allowed.methods;
  };
  // Every path Bun's table does not name goes through `routableRequest` before Elysia routes it:
  // by a short host's URL, Elysia would route `/v1/admin/api/keys` as `/admin/api/keys`.
  const unnamed = (request: Request) => app.fetch(routableRequest(request));
  let app: AnyElysia = new Elysia({
    ...(deps.websocket ? { websocket: deps.websocket } : {}),
    serve: { routes: { ...bunRoutesOf(front), "/*": unnamed } },
  })
    // What no handler answered: no such route, a routed path asked with another method (405, or
    // OPTIONS: 204, both naming the path's methods), a body Elysia could not parse, or a refusal a
    // route threw as its own GatewayError (the cluster's node-to-node endpoints): answered and
    // audited here. First: a listening server runs an error hook only on the routes added after it.
    .onError(({ code, error: thrown, request, path, server }) => {
      const mount = mountOf(mounts, path);
      // An app's own; at the root Anthropic's on its Messages paths, else the caller's as the model
      // list reads it (`anthropic-version`: an Anthropic SDK asking for a path no route serves).
      const dialect =
        !mount && path.startsWith("/v1/messages") ? "anthropic" : modelsDialectOf(request, mount?.dialect);
      const clientIp = clientIpOf(server, request);
      // Under an app's path, the app's: its record names the app (an SDK's baseURL without `/v1`).
      const unrouted = mount?.unrouted ?? deps.unrouted;
      if (thrown instanceof GatewayError) return unrouted(request, clientIp, thrown, dialect);
      if (code !== "NOT_FOUND") {
        const malformed = new GatewayError({
          status: 400,
          code: "invalid_request",
          message: "malformed request",
        });
        return unrouted(request, clientIp, malformed, dialect);
      }
      const routed = allowedMethods();
      const methods = routed.of(path);
      const { method } = request;
      // A WebSocket endpoint asked without an upgrade: a 426 naming it.
      if (method === "GET" && routed.upgrades(path))
        return unrouted(request, clientIp, upgradeRequired(path), dialect);
      // No path of that name, or a method the path takes and still no route: a 404.
      if (methods.length === 0 || methods.includes(method))
        return unrouted(
          request,
          clientIp,
          notFound(unknownPathMessage(mounts, mount, method, path)),
          dialect,
        );
      const allow = [...methods, "OPTIONS"].join(", ");
      if (method === "OPTIONS")
        return (mount?.preflight ?? deps.preflight)(request, clientIp, allow, dialect);
      const refused = methodNotAllowed(
        `${method} is not allowed on ${shown(path)}; it takes ${allow}`,
        allow,
      );
      return unrouted(request, clientIp, refused, dialect);
    })
    // Probes skip the request pipeline (no auth, no audit row) but still carry an x-request-id.
    .get("/healthz", ({ request }) => Response.json({ status: "ok" }, { headers: requestIdHeader(request) }))
    .get("/readyz", ({ request }) => {
      const notReady = deps.notReady();
      return notReady === undefined
        ? Response.json({ status: "ready", ...deps.readyDetail?.() }, { headers: requestIdHeader(request) })
        : Response.json(
            { ...notReady, ...deps.readyDetail?.() },
            { status: 503, headers: requestIdHeader(request) },
          );
    })
    .use(clientProbes(["", ...mounts.filter((m) => m.dialect === "anthropic").map((m) => m.path)]));
  // The same routes on Elysia's router: `app.handle` in process, and what Bun's table hands on.
  for (const route of front)
    app = app.route(route.method, route.path, ({ request, server }) => route.answer(request, server));
  for (const mount of mounts) app = app.use(mountApp(mount));
  for (const plugin of deps.plugins ?? []) app = app.use(plugin);
  return app;
}
