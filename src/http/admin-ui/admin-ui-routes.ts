import { type AnyElysia, Elysia } from "elysia";
import type { Principal } from "../../auth/principal.ts";
import type { AdminUiConfig } from "../../config/admin-ui-config.ts";
import { badRequest, notFound } from "../../core/gateway-error.ts";
import type { Logger } from "../../log/logger.ts";
import { readScope } from "../../tenants/read-scope.ts";
import { type AdminContext, adminGuards } from "../admin/admin-guards.ts";
import { clientIpOf } from "../client-of.ts";
import { errorResponse } from "../error-body.ts";
import type { createFrontDoor } from "../front-door.ts";
import { requestIdHeader, withRequestId } from "../request-id.ts";
import type { AdminActionLog } from "./admin-action-log.ts";
import { heldSession } from "./held-session.ts";
import type { JwtAdmission } from "./jwt-admission.ts";
import type { LoginSeal } from "./login-seal.ts";
import type { OidcClient } from "./oidc-client.ts";
import { type SessionAuthOptions, sessionOf } from "./session-auth.ts";
import { browserOnHttps, cookieValue, SESSION_COOKIE, setCookie } from "./session-cookie.ts";
import type { AdminSession, SessionAdmission, SessionStore } from "./session-store.ts";
import type { SignInLimit } from "./sign-in-limit.ts";
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
  /**
   * What admitted a JWT caller (`auth.jwt`'s trust under the config version `verifiedIn` that
   * verified it, and the issuer's key), kept with its session; undefined when the gateway does not
   * verify JWTs itself. Refused (503) when a reload has replaced that version since.
   */
  readonly jwtAdmission: (principal: Principal, verifiedIn: number) => Promise<JwtAdmission | undefined>;
  /** Seals a pending single sign-on into its cookie, so its callback may land on any node. */
  readonly loginSeal: LoginSeal;
  /** Sign-in steps per client address, single sign-on's and admin-key logins (a 429 past the bound). */
  readonly signInLimit: SignInLimit;
  readonly logger: Logger;
}

const sessionBody = (session: AdminSession, oidc: boolean, sessions: SessionStore) => ({
  signedIn: true,
  oidc,
  // `tenant`: the one tenant an admin reads (null: every tenant, `default`'s), so the page asks
  // for nothing the gateway would refuse it. It is its tenant's name alone (auth/key-scope.ts
  // `managedTenant`), never a config version's rules for that tenant: the stored principal says
  // what any version's binding of the session's next request holds it to.
  user: { name: session.principal.name, method: session.method, tenant: readScope(session.principal) },
  csrf: session.csrf,
  expiresAt: session.expiresAt,
  // Milliseconds, not a time: the page's clock may differ from the gateway's. The page asks again
  // at `endsIn` (the sooner of the idle end and `expiresAt`), with nobody at it, as a page that
  // polls nothing would otherwise stay on screen.
  idleEndsIn: sessions.idleEndsIn(session),
  endsIn: sessions.endsIn(session),
});

const missing = (request: Request, message: string) =>
  errorResponse(notFound(message), "openai", requestIdHeader(request));
const DISABLED = "the admin UI is disabled (admin_ui.enabled)";

/** How a sign-in is recorded (the admin-action audit's `session.sign_in`). */
export interface SignInRecord {
  readonly clientIp: string | null;
  readonly requestId: string;
  readonly detail: string;
}

/**
 * Opens a session for who signed in and records the sign-in: the session, and the cookie that
 * carries it (`Secure` when `secure`: the browser is known to be on https). A sign-in that cannot
 * be recorded fails (the guard's 500) and leaves no session. The sessions the browser held
 * (`previous`: their id hashes, from its session cookie) end first: a browser holds one session,
 * and a cookie fixed on it before, or copied from it, does not outlive the sign-in that replaces it.
 */
export type OpenSession = (
  secure: boolean,
  principal: Principal,
  method: AdminSession["method"],
  admission: SessionAdmission,
  record: SignInRecord,
  previous: readonly string[],
) => Promise<{ session: AdminSession; cookie: string }>;

/**
 * An admin-key login, counted in the bound single sign-on's steps are (sign-in-limit.ts, one count
 * per client address for both) before its key is checked: past it, a 429 with `Retry-After`,
 * recorded and logged as any refusal (its request id, the reason), the key never looked at, so a
 * guesser at one address gets `admin_ui.sign_in_per_minute` tries a minute.
 */
const counted =
  (deps: AdminUiDeps, login: (context: AdminContext) => Promise<Response> | Response) =>
  (context: AdminContext) => {
    const clientIp = clientIpOf(context.server, context.request);
    const wait = deps.signInLimit.take(clientIp);
    if (wait === undefined) return login(context);
    return deps.guardUnauthenticated(context.request, clientIp, "admin", "openai", async () => {
      throw deps.signInLimit.refusal(wait, clientIp);
    });
  };

/** Wraps a route of the web UI so that it is not there at all while `admin_ui.enabled` is off. */
export type WhileEnabled = (
  handle: (context: AdminContext) => Promise<Response> | Response,
) => (context: AdminContext) => Promise<Response> | Response;

/**
 * `/admin`: the page, its assets, and sign-in (single sign-on's steps in sso-routes.ts). Signing in with an admin key goes through the
 * front door (so it is authenticated and audited like any admin call) and trades the key for a
 * session; the key itself is never kept by the browser. Each login counts in the sign-in bound
 * first (`counted`).
 */
export function adminUiRoutes(deps: AdminUiDeps) {
  const sessionCookie = (secure: boolean, value: string, maxAgeSec: number) =>
    setCookie(SESSION_COOKIE, value, { path: "/admin", maxAgeSec, secure, sameSite: "Strict" });
  const open: OpenSession = async (
    secure,
    principal,
    method,
    admission,
    { clientIp, requestId, detail },
    previous,
  ) => {
    // Ended before the new one opens: a failure here (the store down) leaves the old as it was.
    for (const idHash of new Set(previous)) await deps.sessions.endByHash(idHash);
    // The session has the key's models and limits (as they are at each request): they bound
    // which keys it may manage.
    const session = await deps.sessions.create(principal, method, admission);
    try {
      await deps.recordAction(principal, { clientIp, requestId }, { action: "session.sign_in", detail });
    } catch (error) {
      // An unrecorded sign-in opens nothing: its row would be a session no cookie was ever given.
      await deps.sessions.end(session.id).catch(() => {});
      throw error;
    }
    const cookie = sessionCookie(secure, session.id, (session.expiresAt - session.createdAt) / 1000);
    return { session, cookie };
  };
  // Sign-in included: while the UI is off, nobody signs in to it.
  // It names the fields it hands on: Elysia reads a route's whole body before its handler when the
  // handler passes its context to a function (it cannot tell then that no body is read), so sign-in
  // and sign-out, open to anyone, read a body of any size (past `server.max_body`) before the 401.
  const whileEnabled: WhileEnabled =
    (handle) =>
    ({ request, server, params }) =>
      deps.config().enabled ? handle({ request, server, params }) : missing(request, DISABLED);
  // The page and its assets are for no caller (the session check and the page's API calls are,
  // audited as any admin call): no audit row or access line, as `/healthz`, but an `x-request-id`
  // (docs/OBSERVABILITY.md).
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
      // Asks for no credential (it says whether the cookie is signed in), but reads the session and
      // may end it: recorded and answered with a request id as any request.
      whileEnabled(({ request, server }: AdminContext) =>
        deps.guardUnauthenticated(request, clientIpOf(server, request), "admin", "openai", async (call) => {
          const oidc = deps.oidc() !== undefined;
          // Not bound to a config version: nothing it tells reads tenant rules (sessionBody), and
          // whether its tenant is still served is checked with the session (session-auth.ts).
          const found = await sessionOf(request.headers, deps.sessionAuth);
          const session = typeof found === "object" ? found : undefined;
          if (session) call.known(session.principal);
          // `ended: "idle"`: the session was ended just now for inactivity, which the page says.
          const signedOut = { signedIn: false, oidc, ...(found === "idle" ? { ended: "idle" } : {}) };
          return Response.json(session ? sessionBody(session, oidc, deps.sessions) : signedOut, {
            headers: { ...call.headers, "cache-control": "no-store" },
          });
        }),
      ),
    )
    .post(
      "/admin/auth/login",
      whileEnabled(
        counted(
          deps,
          doors.adminOnly(async ({ principal, headers, ledger, runtime }, request, _params, clientIp) => {
            if (principal.via === "session") throw badRequest("sign in with an admin key, not a session");
            const jwt =
              principal.via === "jwt" ? await deps.jwtAdmission(principal, runtime.version) : undefined;
            const { session, cookie } = await open(
              browserOnHttps(request, deps.config()),
              principal,
              "key",
              jwt ? { jwt } : {},
              {
                clientIp,
                requestId: ledger.requestId,
                detail: "admin key",
              },
              heldSession(request),
            );
            return Response.json(sessionBody(session, deps.oidc() !== undefined, deps.sessions), {
              headers: { ...headers, "set-cookie": cookie, "cache-control": "no-store" },
            });
          }),
        ),
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
            {
              headers: {
                ...headers,
                "set-cookie": sessionCookie(browserOnHttps(request, deps.config()), "", 0),
              },
            },
          );
        }),
      ),
    )
    .use(ssoRoutes(deps, open, whileEnabled));
  for (const page of UI_PAGES) app = app.get(`/admin/${page}`, ({ request }) => shell(request));
  return app;
}
