import { type Authenticator, presentsCredential } from "../../auth/authenticate.ts";
import type { KeySessions } from "../../auth/key-sessions.ts";
import { keyStatus } from "../../auth/key-view.ts";
import { type Principal, principalFromKey } from "../../auth/principal.ts";
import type { AdminUiConfig, OidcConfig } from "../../config/admin-ui-config.ts";
import type { JwtConfig } from "../../config/jwt-config.ts";
import { unavailable } from "../../core/gateway-error.ts";
import type { SealSecret } from "../../core/shared-key.ts";
import { steadyClock } from "../../core/steady-clock.ts";
import type { Logger } from "../../log/logger.ts";
import { createMemoryAdminActionStore } from "../../storage/memory/memory-admin-action-store.ts";
import type { AdminActionStore, AdminSessionStore, KeyStore } from "../../storage/storage.ts";
import type { CallerBinding } from "../../tenants/bind-tenant.ts";
import type { createFrontDoor } from "../front-door.ts";
import { createAdminActionLog } from "./admin-action-log.ts";
import { adminUiRoutes } from "./admin-ui-routes.ts";
import { type JwksKeyHeld, type JwtAdmission, jwtAdmissionOf, jwtStillAdmits } from "./jwt-admission.ts";
import { LoginSeal } from "./login-seal.ts";
import { allowListAdmits } from "./oidc-allow-list.ts";
import { createOidcClient, type OidcClient } from "./oidc-client.ts";
import { endSessionsNoLongerAdmitted, type SessionAuthOptions, withSessions } from "./session-auth.ts";
import { SessionStore } from "./session-store.ts";
import { SignInLimit } from "./sign-in-limit.ts";

/**
 * The admin key of this id as it is now, or null once it admits no session: one read by id, as the
 * revocation check always made (sessions are the UI's few requests).
 */
const keyNowIn =
  (keys: KeyStore, now: () => number) =>
  async (keyId: string): Promise<Principal | null> => {
    const record = await keys.getById(keyId);
    const admits = record !== null && record.role === "admin" && keyStatus(record, now()) === "active";
    return admits ? principalFromKey(record) : null;
  };

/** A sign-in whose token was verified under a config version a reload has since replaced: to retry. */
const reloadedWhileSigningIn = () =>
  unavailable("the configuration was reloaded while signing in: sign in again");

/**
 * Whose credentials the gateway accepts (tenants/bind-tenant.ts). Under an embedder's
 * authenticator, a session keeps the principal it gave at sign-in: no key record of the gateway's,
 * of the key id that principal names, replaces it (its keys are not accepted there); such a record
 * revoked or expired still ends the session, as it cuts its streams. `keyStands` is required there:
 * a wiring without it would have kept every such session whatever its key became.
 */
export type AdminUiIssuer =
  | { credentialIssuer: "gateway" }
  | {
      credentialIssuer: "embedder";
      /**
       * Whether the key id a session's principal names still stands in the gateway's store
       * (auth/key-standings.ts: read once, kept up to date by the key cache's changes; a store
       * failure is a 503 to retry, the session kept).
       */
      keyStands: (keyId: string) => Promise<boolean>;
    };

export type AdminUiOptions = AdminUiIssuer & AdminUiParts;

interface AdminUiParts {
  /** The current `admin_ui` section (follows reloads). */
  config: () => AdminUiConfig;
  /**
   * When the gateway verifies JWTs itself: the current config version with its `auth.jwt` (follows
   * reloads), and whether the issuer's key set in hand still publishes a key. A session signed in
   * with a JWT keeps what admitted the token, taken from the version that verified it, and ends once
   * they no longer admit it. Absent for an embedder's authenticator, whose JWT callers' sessions are
   * not re-checked.
   */
  jwt?: {
    current: () => { version: number; config: JwtConfig | undefined };
    keyHeld: JwksKeyHeld;
  };
  /** Whether the current config serves a tenant: a session of a tenant a reload removed ends. */
  tenantServed?: (tenant: string) => boolean;
  keys: KeyStore;
  /** Where admin actions are recorded; in memory when the storage has no such store. */
  actions?: AdminActionStore;
  /** Where sessions are kept; in this process's memory when the storage has no such store. */
  sessions?: AdminSessionStore;
  /** What is open on this node under each key and session: a session's end ends what it opened. */
  live?: KeySessions;
  /**
   * The secret seals are keyed from (core/shared-key.ts), `cluster.secret` or the one kept in
   * storage: a single sign-on started on one node then finishes on any, and after a restart.
   * Without it, only in the process that started it.
   */
  sealSecret?: SealSecret;
  logger: Logger;
  /**
   * The wall clock: sessions' and single sign-on's times, the admin-action log's. A test's also
   * runs the sign-in bound's minutes, which otherwise run on a clock an NTP step never moves
   * (core/steady-clock.ts): a step forward frees no address, a step back holds none for its length.
   */
  now?: () => number;
}

/**
 * The web control plane's parts: sessions (which extend the authenticator with the session
 * cookie), the single sign-on client for the current config, the admin-action log, and the
 * `/admin` routes. The composition root only wires these in.
 */
export function createAdminUi(options: AdminUiOptions) {
  const now = options.now ?? Date.now;
  const sessions = new SessionStore({
    ttlMs: () => options.config().session_ttl,
    idleMs: () => options.config().session_idle_timeout,
    now,
    ...(options.sessions ? { backend: options.sessions } : {}),
    ...(options.live ? { live: options.live } : {}),
  });
  const jwt = options.jwt;
  const sessionAuth: SessionAuthOptions = {
    sessions,
    enabled: () => options.config().enabled,
    ...(options.credentialIssuer === "gateway"
      ? { keyNow: keyNowIn(options.keys, now), presentsCredential }
      : { keyStands: options.keyStands }),
    ssoAllowed: (identity) => allowListAdmits(options.config().oidc, identity),
    ...(jwt
      ? {
          jwtAdmits: (admission: JwtAdmission) =>
            jwtStillAdmits(jwt.current().config, admission, jwt.keyHeld),
        }
      : {}),
    ...(options.tenantServed ? { tenantServed: options.tenantServed } : {}),
  };
  const actions = options.actions ?? createMemoryAdminActionStore();
  const recordAction = createAdminActionLog(actions, now);
  const loginSeal = LoginSeal.of(options.sealSecret, now);
  const signInLimit = new SignInLimit(options.now ?? steadyClock, () => options.config().sign_in_per_minute);
  let oidcFor: { config: OidcConfig; client: OidcClient } | undefined;
  const oidc = () => {
    const config = options.config().oidc;
    if (!config) return undefined;
    if (oidcFor?.config !== config) oidcFor = { config, client: createOidcClient(config) };
    return oidcFor.client;
  };
  return {
    actions,
    recordAction,
    /**
     * Call on each config change: a session with something open on this node that the new config
     * no longer admits (the UI turned off; its key's tenant removed; its JWT no longer admitted by
     * `auth.jwt`; its single sign-on user off the allow-list) ends now, with what it opened.
     */
    configChanged: () =>
      void endSessionsNoLongerAdmitted(sessionAuth, options.logger).catch((error) =>
        options.logger.warn(
          `re-checking the admin UI's sessions failed: ${error instanceof Error ? error.message : error}`,
        ),
      ),
    /**
     * One config version's authenticator with the session cookie added, a session's principal
     * bound as that version binds callers (for the HTTP front door only).
     */
    authenticate: (base: Authenticator, bindCaller: CallerBinding) =>
      withSessions(base, bindCaller, sessionAuth),
    routes: (doors: Pick<ReturnType<typeof createFrontDoor>, "guard" | "guardUnauthenticated">) =>
      adminUiRoutes({
        ...doors,
        config: options.config,
        sessions,
        sessionAuth,
        recordAction,
        oidc,
        // What admitted a JWT signed in with, under the version that verified it: a reload since
        // (a leaked secret rotated) must not stamp the session with its own trust.
        jwtAdmission: async (principal, verifiedIn) => {
          if (!jwt) return undefined;
          const { version, config } = jwt.current();
          if (version !== verifiedIn) throw reloadedWhileSigningIn();
          return config ? jwtAdmissionOf(config, principal) : undefined;
        },
        loginSeal,
        signInLimit,
        logger: options.logger,
      }),
  };
}
