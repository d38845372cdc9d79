import { timingSafeEqual } from "node:crypto";
import { type Authenticator, unauthorized } from "../../auth/authenticate.ts";
import type { Principal } from "../../auth/principal.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { Logger } from "../../log/logger.ts";
import type { CallerBinding } from "../../tenants/bind-tenant.ts";
import type { JwtAdmission } from "./jwt-admission.ts";
import type { OidcIdentity } from "./oidc-allow-list.ts";
import {
  ACTIVITY_HEADER,
  CSRF_HEADER,
  cookieValue,
  SESSION_COOKIE,
  SESSION_ENDED_HEADER,
} from "./session-cookie.ts";
import {
  type AdminSession,
  type SessionStore,
  type StoredSession,
  withCredentialNow,
} from "./session-store.ts";

export interface SessionAuthOptions {
  sessions: SessionStore;
  /** Whether the web UI is on (`admin_ui.enabled`): while it is off, every session ends at its next use. */
  enabled: () => boolean;
  /**
   * The admin key a session was opened with, as it is now (its models, limits, expiry, tenant), or
   * null once it no longer admits a session (revoked, expired, no longer an admin key). Absent under
   * an embedder's authenticator (`createGateway`'s `auth`), which vouches for its callers itself and
   * accepts none of the gateway's keys: a session it signed in keeps the principal it gave then,
   * whatever key id that names (the gateway's record of a key of that id is not its rights).
   */
  keyNow?: (keyId: string) => Promise<Principal | null>;
  /**
   * Under an embedder's authenticator (no `keyNow`): whether the key id its session's principal
   * names still stands, false once the gateway's store holds that key revoked or expired (a revoke
   * cuts the session's streams: it signs the session out too). The principal is kept as given.
   */
  keyStands?: (keyId: string) => Promise<boolean>;
  /** Whether the current `admin_ui.oidc` allow-list still admits a single sign-on session's user. */
  ssoAllowed: (identity: OidcIdentity) => boolean;
  /**
   * Whether the current `auth.jwt`, and the issuer's key set in hand, still admit the JWT a session
   * was signed in with as it was (jwt-admission.ts); absent when the gateway does not verify JWTs
   * itself (an embedder's authenticator), so none is checked.
   */
  jwtAdmits?: (admission: JwtAdmission) => Promise<boolean>;
  /**
   * Whether a tenant is one the current config serves: a session (of an admin key, or a JWT the
   * gateway verified) whose tenant a reload removed ends, as the credential itself is refused
   * (tenants/bind-tenant.ts `tenantUnconfigured`); single sign-on's is `default`, always served.
   * Absent, as for an embedder's authenticator (which decides its callers' tenants itself, an
   * unlisted one served, held to its name): every tenant is.
   */
  tenantServed?: (tenant: string) => boolean;
  /**
   * Whether a request presents a credential of the gateway's own (auth/authenticate.ts
   * `presentsCredential`: a Bearer token or `x-api-key`, never a proxy's `Authorization: Basic …`,
   * which a browser repeats beside the cookie behind nginx's `auth_basic`). Absent, as for an
   * embedder's authenticator, which may read any scheme: any `Authorization` or `x-api-key` is one.
   */
  presentsCredential?: (headers: Headers) => boolean;
}

/** A credential header of any scheme: what an embedder's authenticator may read. */
const credentialHeader = (headers: Headers) => headers.has("authorization") || headers.has("x-api-key");

/**
 * A session's request without its CSRF token, or with another: 403, saying which and what to do,
 * where "missing or wrong" left a page's author or an operator to guess. The token given is never
 * quoted: it is another site's guess, or another session's token.
 */
const csrfRefused = (given: string | null) =>
  new GatewayError({
    status: 403,
    code: "forbidden",
    message: given
      ? "wrong CSRF token: the X-CSRF-Token header is not this session's token (a page left open from an earlier sign-in, or another session's token); reload the web UI to take the current one"
      : "missing CSRF token: a request with the web UI's session cookie must repeat the session's token (as /admin/auth/session gives it) in the X-CSRF-Token header; a script or tool should send an admin key in Authorization or x-api-key instead",
  });

const sameToken = (given: string | null, expected: string) => {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Why a session cookie admits no one, as the uniform 401's `detail` says it in the access line
 * (never the cookie): it names no live session (forged, expired, signed out), the session was
 * ended now because what admitted it no longer does, or because it was not used for
 * `session_idle_timeout`.
 */
type SessionRefusal = "unknown_session" | "session_ended" | "session_idle";

/**
 * The 401 of a session found idle: the uniform refusal (status, code, message), plus a header the
 * page reads to say the session ended for inactivity, not that it was revoked. It tells the cookie's
 * holder only that their own session ended.
 */
const idleRefusal = () =>
  new GatewayError({
    status: 401,
    code: "unauthorized",
    message: unauthorized().message,
    detail: "session_idle",
    headers: { [SESSION_ENDED_HEADER]: "idle" },
  });

/**
 * The live session a request's cookie names, after what admitted it is checked again (its admin
 * key still active, and its rights taken as they are now; its JWT's trust still configured; its
 * single sign-on user still on the allow-list); undefined if none, `idle` if it was ended now for
 * inactivity (so the page can say why). One that fails the check is ended for good. What
 * `/admin/auth/session` tells the page: not bound to a config version's tenant rules, which
 * nothing it tells reads (the tenant an admin reads is its tenant's name alone:
 * auth/key-scope.ts), as the API binds a session's principal for each request. Asked with the
 * session's CSRF token and `x-user-activity`, it records use (the idle end moves on).
 */
export async function sessionOf(
  headers: Headers,
  options: SessionAuthOptions,
): Promise<AdminSession | "idle" | undefined> {
  const found = await liveSession(headers, options);
  if (found === "session_idle") return "idle";
  if (typeof found === "string") return undefined;
  // The page's report of use no other call carried (reading a request's detail, typing a filter):
  // recorded as any call's mark is, but only with the session's CSRF token, as this asks for no
  // credential and another site's request could carry the mark.
  const marked = headers.has(ACTIVITY_HEADER) && sameToken(headers.get(CSRF_HEADER), found.csrf);
  return marked ? options.sessions.used(found) : found;
}

/** The session with its principal as this version binds it: the rules stored with it are a past version's. */
const boundNow = (session: AdminSession, bind: CallerBinding): AdminSession => ({
  ...session,
  principal: bind(session.principal),
});

async function liveSession(
  headers: Headers,
  options: SessionAuthOptions,
): Promise<AdminSession | SessionRefusal> {
  const id = cookieValue(headers.get("cookie"), SESSION_COOKIE);
  const session = id === null ? "unknown" : await options.sessions.find(id);
  if (session === "unknown") return "unknown_session";
  if (session === "idle") return "session_idle";
  const admitted = await admittedNow(session, options);
  if (admitted === undefined) {
    await options.sessions.end(session.id);
    return "session_ended";
  }
  return admitted;
}

/**
 * Ends each session with something open on this node (an event stream) that is no longer live in
 * storage (signed out on another node, expired) or no longer admitted: called when the config
 * changes, so a stream its session opened ends with an edit of the allow-list, not at the
 * session's next request; one whose end the new `session_ttl` brought forward has its streams
 * end then. A session that cannot be judged now (its JWT's key set never fetched,
 * storage failing) is kept and logged, and the others are judged still: it is judged again at its
 * next request.
 */
export async function endSessionsNoLongerAdmitted(options: SessionAuthOptions, log: Logger): Promise<void> {
  for (const idHash of options.sessions.heldHere()) {
    try {
      const session = await options.sessions.byHash(idHash);
      const admitted = session === undefined ? undefined : await admittedNow(session, options);
      if (admitted === undefined) await options.sessions.endByHash(idHash);
      // Its end as the new config sets it (`session_ttl` shortened): what it opened ends then too.
      else options.sessions.heldUntil(idHash, admitted.expiresAt);
    } catch (error) {
      log.warn("an admin UI session could not be re-checked: kept until its next request", {
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** The session as what admitted it says now, or undefined when that no longer admits it. */
async function admittedNow<S extends StoredSession>(
  session: S,
  options: SessionAuthOptions,
): Promise<S | undefined> {
  if (!options.enabled()) return undefined;
  const served = (tenant: string) => options.tenantServed?.(tenant) ?? true;
  if (session.keyId !== null && options.keyNow) {
    const key = await options.keyNow(session.keyId);
    return key === null || !served(key.tenant) ? undefined : withCredentialNow(session, key);
  }
  if (session.keyId !== null && options.keyStands && !(await options.keyStands(session.keyId)))
    return undefined;
  // A single sign-on or JWT session from before what admitted it was kept has none to check: it ends too.
  if (session.method === "oidc")
    return session.sso !== undefined && options.ssoAllowed(session.sso) ? session : undefined;
  if (!served(session.principal.tenant)) return undefined;
  if (session.principal.signedInWith === "jwt" && options.jwtAdmits) {
    const admitted = session.jwt !== undefined && (await options.jwtAdmits(session.jwt));
    return admitted ? session : undefined;
  }
  return session;
}

/**
 * Adds the web UI's session cookie to an authenticator. A request with a credential header is
 * left to `base`; one with only the cookie is the session's principal, provided it repeats the
 * session's CSRF token in `x-csrf-token` — on every method, so no other site can make the
 * browser read or change anything with the cookie. A forged or ended session is the uniform 401.
 * The session's principal is bound by `bind`, the binding of `base`'s config version, as `base`
 * binds a credential header's (tenants/bind-tenant.ts: its tenant's models, hidden models and
 * limits; a gateway's key or JWT of a tenant no longer configured refused, its session ended; an
 * embedder's principal of a tenant not listed served, held to its name, as its header would be),
 * so a session reads and may do exactly what its credential may.
 */
export function withSessions(
  base: Authenticator,
  bind: CallerBinding,
  options: SessionAuthOptions,
): Authenticator {
  const presents = options.presentsCredential ?? credentialHeader;
  // Not an async function: a request with a credential header (every API call) is `base`'s own
  // promise, with no async frame of its own.
  return (headers) => {
    if (!headers.has("cookie") || presents(headers)) return base(headers);
    return sessionPrincipal(headers, base, bind, options);
  };
}

/** A request with the session cookie: the session's principal, or `base` when the cookie is not ours. */
async function sessionPrincipal(
  headers: Headers,
  base: Authenticator,
  bind: CallerBinding,
  options: SessionAuthOptions,
): Promise<Principal> {
  if (cookieValue(headers.get("cookie"), SESSION_COOKIE) === null) return base(headers);
  const session = await liveSession(headers, options);
  if (session === "session_idle") throw idleRefusal();
  if (typeof session === "string") throw unauthorized(session);
  const csrf = headers.get(CSRF_HEADER);
  if (!sameToken(csrf, session.csrf)) throw csrfRefused(csrf);
  // Use is what the page sends after a keystroke or click in it, never its own polling (which
  // would keep an unattended screen signed in): only that moves the idle end on.
  if (headers.has(ACTIVITY_HEADER)) await options.sessions.used(session);
  return boundNow(session, bind).principal;
}
