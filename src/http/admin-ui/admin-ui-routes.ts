import { type AnyElysia, Elysia } from "elysia";
import type { Principal } from "../../auth/principal.ts";
import type { AdminUiConfig } from "../../config/admin-ui-config.ts";
import { badRequest, notFound } from "../../core/gateway-error.ts";
import type { Logger } from "../../log/logger.ts";
import { readScope } from "../../tenants/read-scope.ts";
import { adminGuards } from "../admin/admin-guards.ts";
import { errorResponse } from "../error-body.ts";
import type { createFrontDoor } from "../front-door.ts";
import { requestIdHeader, withRequestId } from "../request-id.ts";
import type { AdminActionLog } from "./admin-action-log.ts";
import type { JwtAdmission } from "./jwt-admission.ts";
import type { LoginSeal } from "./login-seal.ts";
import type { OidcClient } from "./oidc-client.ts";
import { type SessionAuthOptions, sessionOf } from "./session-auth.ts";
import { cookieValue, isSecure, SESSION_COOKIE, setCookie } from "./session-cookie.ts";
import type { AdminSession, SessionAdmission, SessionStore } from "./session-store.ts";
import { ssoRoutes } from "./sso-routes.ts";
import { uiBundle } from "./ui-assets.ts";
import { UI_PAGES } from "./ui-pages.ts";
import { SECURITY_HEADERS, uiShell } from "./ui-shell.ts";

export interface AdminUiDeps {
  readonly guard: ReturnType<typeof createFrontDoor>["guard"];
  /** The guard for single sign-on's steps, which carry no credential: recorded and answered as any request. */
  readonly guardUnauthenticated: ReturnType<typeof createFrontDoor>["guardUnauthenticated"];
  readonly config: () => AdminUiConfig;
  readonly sessions: SessionStore;
  readonly sessionAuth: SessionAuthOptions;
  readonly recordAction: AdminActionLog;
  /** The OIDC relying party for the current config, or undefined when `admin_ui.oidc` is unset. */
  readonly oidc: () => OidcClient | undefined;
  /** What admits a JWT of this role now (`auth.jwt`'s trust), kept with its session; undefined without one. */
  readonly jwtAdmission: (role: Principal["role"]) => JwtAdmission | undefined;
  /** Seals a pending single sign-on into its cookie, so its callback may land on any node. */
  readonly loginSeal: LoginSeal;
  readonly logger: Logger;
}

const sessionBody = (session: AdminSession, oidc: boolean) => ({
  signedIn: true,
  oidc,
  // `tenant`: the one tenant an admin key in a tenant reads (null: every tenant), so the page
  // asks for nothing the gateway would refuse it.
  user: { name: session.principal.name, method: session.method, tenant: readScope(session.principal) },
  csrf: session.csrf,
  expiresAt: session.expiresAt,
});

const missing = (request: Request, message: string) =>
  errorResponse(notFound(message), "openai", requestIdHeader(request));
const DISABLED = "the admin UI is disabled (admin_ui.enabled)";

/** Opens a session for who signed in: the session, and the cookie that carries it. */
export type OpenSession = (
  request: Request,
  principal: Principal,
  method: AdminSession["method"],
  admission?: SessionAdmission,
) => Promise<{ session: AdminSession; cookie: string }>;

/** Wraps a route of the web UI so that it is not there at all while `admin_ui.enabled` is off. */
export type WhileEnabled = <C extends { request: Request }>(
  handle: (context: C) => Promise<Response> | Response,
) => (context: C) => Promise<Response> | Response;

/**
 * `/admin`: the page, its assets, and sign-in (single sign-on's steps in sso-routes.ts). Signing in with an admin key goes through the
 * front door (so it is authenticated and audited like any admin call) and trades the key for a
 * session; the key itself is never kept by the browser.
 */
export function adminUiRoutes(deps: AdminUiDeps) {
  const sessionCookie = (request: Request, value: string, maxAgeSec: number) =>
    setCookie(SESSION_COOKIE, value, {
      path: "/admin",
      maxAgeSec,
      secure: isSecure(request),
      sameSite: "Strict",
    });
  const open: OpenSession = async (request, principal, method, admission = {}) => {
    // The session has the key's models and limits (as they are at each request): they bound
    // which keys it may manage.
    const session = await deps.sessions.create(principal, method, admission);
    const cookie = sessionCookie(request, session.id, (session.expiresAt - session.createdAt) / 1000);
    return { session, cookie };
  };
  // Sign-in included: while the UI is off, nobody signs in to it.
  const whileEnabled: WhileEnabled = (handle) => (context) =>
    deps.config().enabled ? handle(context) : missing(context.request, DISABLED);
  // The page, its assets and the session check are for no caller (the page's API calls are):
  // no audit row or access line, as `/healthz`, but an `x-request-id` (docs/OBSERVABILITY.md).
  const shell = async (request: Request) => {
    if (!deps.config().enabled) return missing(request, DISABLED);
    return new Response(uiShell(await uiBundle()), {
      headers: withRequestId(request, {
        ...SECURITY_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
      }),
    });
  };

  const doors = adminGuards(deps.guard);
  let app: AnyElysia = new Elysia()
    .get("/admin", ({ request }) => shell(request))
    .get("/admin/", ({ request }) => shell(request))
    .get("/admin/assets/:name", async ({ params, request }) => {
      const asset = (await uiBundle()).byName.get(params.name);
      if (!asset || !deps.config().enabled) return missing(request, `no asset ${params.name}`);
      return new Response(asset.body, {
        headers: withRequestId(request, {
          ...SECURITY_HEADERS,
          "content-type": asset.contentType,
          "cache-control": "public, max-age=31536000, immutable",
        }),
      });
    })
    .get(
      "/admin/auth/session",
      whileEnabled(async ({ request }: { request: Request }) => {
        const oidc = deps.oidc() !== undefined;
        const session = await sessionOf(request.headers, deps.sessionAuth);
        return Response.json(session ? sessionBody(session, oidc) : { signedIn: false, oidc }, {
          headers: withRequestId(request, { "cache-control": "no-store" }),
        });
      }),
    )
    .post(
      "/admin/auth/login",
      whileEnabled(
        doors.adminOnly(async ({ principal, headers, ledger }, request, _params, clientIp) => {
          if (principal.via === "session") throw badRequest("sign in with an admin key, not a session");
          const jwt = principal.via === "jwt" ? deps.jwtAdmission(principal.role) : undefined;
          const { session, cookie } = await open(request, principal, "key", jwt ? { jwt } : {});
          await deps.recordAction(
            principal,
            { clientIp, requestId: ledger.requestId },
            { action: "session.sign_in", detail: "admin key" },
          );
          return Response.json(sessionBody(session, deps.oidc() !== undefined), {
            headers: { ...headers, "set-cookie": cookie, "cache-control": "no-store" },
          });
        }),
      ),
    )
    .post(
      "/admin/auth/logout",
      whileEnabled(
        doors.authenticated(async ({ principal, headers, ledger }, request, _params, clientIp) => {
          const id = cookieValue(request.headers.get("cookie"), SESSION_COOKIE);
          if (principal.via !== "session" || id === null) throw badRequest("not signed in with a session");
          await deps.sessions.end(id);
          await deps.recordAction(
            principal,
            { clientIp, requestId: ledger.requestId },
            { action: "session.sign_out" },
          );
          return Response.json(
            { signedIn: false },
            { headers: { ...headers, "set-cookie": sessionCookie(request, "", 0) } },
          );
        }),
      ),
    )
    .use(ssoRoutes(deps, open, whileEnabled));
  for (const page of UI_PAGES) app = app.get(`/admin/${page}`, ({ request }) => shell(request));
  return app;
}
