import type { ShadowTarget } from "../config/shadow-target.ts";
import type { KeyRecord, Role } from "../storage/key-record.ts";
import { subjectId } from "./caller-id.ts";
import { matchesAny } from "./model-glob.ts";

export type { Role } from "../storage/key-record.ts";
export { roleSchema } from "../storage/key-record.ts";

/**
 * Who is calling, after authentication, whatever the credential was. Everything downstream
 * (roles, limits, audit) reads this and never the credential.
 */
export interface Principal {
  /**
   * The API key's id; null for a JWT caller (its audit rows name it by `callerId`), and for a web
   * UI session signed in by a JWT or single sign-on.
   */
  keyId: string | null;
  /**
   * When the API key was created (epoch ms); absent for a JWT caller. What a key may still read
   * of the rows its free tenant label shared before (http/response-scope.ts) depends on it.
   */
  keyCreatedAt?: number;
  /**
   * The first key of the API key's rotation chain (its own id when no rotation issued it): every
   * key of the chain, a rotation's old key in its grace window and its new one alike, counts its
   * spend under this one id and is held to its budget against that one total. Outside every
   * configured tenant it also decides whose stored responses the caller reads, continues and
   * deletes: they are the chain's (`default/<chain>`, http/response-scope.ts), so two principals
   * with one chain share them. Absent for a caller without a key; an embedder's authenticator that
   * sets it gives one chain only to principals that are the same caller.
   */
  chain?: string;
  name: string;
  /**
   * The caller's tenant. `default` is outside every tenant: an admin of it reads and manages every
   * tenant (`/metrics`, the whole status, audit and events, every tenant's keys). Any other name
   * holds an admin to that tenant, whether `tenants:` lists it or not: an embedder's authenticator
   * that means a gateway-wide admin says `default` (docs/EMBEDDING.md §3).
   */
  tenant: string;
  role: Role;
  /** Model globs this caller may use. */
  models: readonly string[];
  limits: { rpm?: number; tpm?: number; budgetUsd?: number };
  /**
   * `session`: signed in to the web UI (`/admin`), by admin key or single sign-on. `jwt` makes a
   * caller without a key a token subject (`isJwtCaller`), as an embedder's authenticator says too.
   */
  via: "key" | "jwt" | "session";
  /**
   * A web UI session's: what it was signed in with — an admin key (`keyId`), a JWT, or single
   * sign-on. Its audit rows and admin actions name the caller by it (`callerId`): a JWT's session
   * as the token's subject, not by a bare name another caller may share.
   */
  signedInWith?: SessionCredential;
  /**
   * When the credential stops being valid (epoch ms), if it has an end; open sessions end then. A
   * web UI session's is the session's own end: `session_ttl` after sign-in, or its key's if sooner.
   */
  expiresAt?: number;
  /**
   * A web UI session's: when the credential it was signed in with ends (null: never, as for single
   * sign-on or a key without expiry). What an admin may grant is bounded by its credential's life
   * (auth/key-scope.ts), not by the session's: a session of an hour is not a contractor's key.
   */
  credentialExpiresAt?: number | null;
  /**
   * A web UI session's id hash (never the cookie's value): what the session opened is held under
   * it (auth/key-sessions.ts), and ends with it on sign-out.
   */
  sessionId?: string;
  /**
   * A JWT caller's whose token a JWKS key verified (`auth.jwt.jwks_url`): that key's RFC 7638
   * thumbprint. A web UI session signed in with the token keeps it, and ends once the issuer's key
   * set no longer publishes the key (a leaked key withdrawn). Absent for a secret or public key,
   * which `auth.jwt` names itself.
   */
  jwtKey?: string;
  /** What the caller's tenant adds on top of its own rights; absent when nothing applies. */
  tenantRules?: TenantRules;
  /** Set when the call came through an app (`apps:`): the app's model globs narrow the caller's. */
  appModels?: readonly string[];
  /** The app's shadow route, when the call came through an app that has one. */
  appShadow?: ShadowTarget;
}

/** What a web UI session was signed in with (`Principal.signedInWith`). */
export type SessionCredential = "key" | "jwt" | "sso";

/**
 * A tenant's bindings as they apply to one caller, from the current config (tenants/bind-tenant.ts).
 * Limits are counted over every caller of the tenant together.
 */
export interface TenantRules {
  /**
   * True when the caller's tenant is configured (`tenants:`); false for a caller of none it lists
   * (`default`, or an embedder's principal of a tenant not listed, which its name still holds:
   * auth/key-scope.ts `managedTenant`).
   */
  readonly bound: boolean;
  /** The tenant's model globs; a model must match these and the caller's own. */
  readonly models: readonly string[];
  /**
   * Whether a model name is another tenant's: the `models:` entry it resolves to (by name, alias
   * or glob, as the route table resolves it) is scoped to a tenant not this caller's. To this caller
   * such a name does not exist (404, not listed). Absent when no model is another tenant's.
   */
  readonly hides?: (model: string) => boolean;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly budget?: { readonly usd: number; readonly per: "day" | "month" };
  /** The tenant's shadow route, in place of the model's own. */
  readonly shadow?: ShadowTarget;
}

export function canUseModel(principal: Principal, model: string): boolean {
  const rules = principal.tenantRules;
  return (
    matchesAny(principal.models, model) &&
    (principal.appModels === undefined || matchesAny(principal.appModels, model)) &&
    (rules === undefined || (matchesAny(rules.models, model) && rules.hides?.(model) !== true))
  );
}

/** Builds the principal for a key record once; the key cache reuses it on every request. */
export function principalFromKey(record: KeyRecord): Principal {
  const limits: Principal["limits"] = {};
  if (record.rpm !== null) limits.rpm = record.rpm;
  if (record.tpm !== null) limits.tpm = record.tpm;
  if (record.budgetUsd !== null) limits.budgetUsd = record.budgetUsd;
  return Object.freeze({
    ...(record.expiresAt !== null ? { expiresAt: record.expiresAt } : {}),
    keyId: record.id,
    keyCreatedAt: record.createdAt,
    chain: record.chain ?? record.id,
    name: record.name,
    tenant: record.tenant,
    role: record.role,
    // A copy, not frozen: JSC keeps a frozen array's elements in its slow storage, and every
    // request reads this one (`matchesAny`): a loop over a frozen array ran ~10x slower, and a
    // `for…of` over one made the function's optimised code be thrown away again and again.
    models: [...record.models],
    limits: Object.freeze(limits),
    via: "key" as const,
  });
}

/** What a caller's ids are made of. */
type CallerParts = Pick<Principal, "keyId" | "tenant" | "name" | "via" | "signedInWith">;

/**
 * Whether the caller is a JWT's subject: the one test of it, for the id it is counted under and
 * recorded by (`limitSubject`, `callerId`) and for what a spent budget's refusal says
 * (limit-scope.ts). A caller without a key is not one by that alone: a web UI session signed in by
 * single sign-on has none either.
 */
export const isJwtCaller = (principal: Pick<Principal, "via">): boolean => principal.via === "jwt";

/**
 * The id limits and spend are counted under: the key's id; for a JWT subject without one,
 * `jwt:<tenant>:<name>`; for any other caller without a key, `<via>:<tenant>:<name>` (a web UI
 * session signed in by single sign-on, `session:…`, which never reaches a model; an embedder's
 * principal of `via: "key"` without a key id, `key:…`), never a JWT subject's. No two callers
 * share one (caller-id.ts `subjectId`).
 */
export function limitSubject(principal: CallerParts): string {
  if (principal.keyId !== null) return principal.keyId;
  return isJwtCaller(principal)
    ? callerSubject(null, principal.tenant, principal.name)
    : subjectId(principal.via, principal.tenant, principal.name);
}

/**
 * `limitSubject` of a caller known by an audit row's `keyId`, `tenant` and `keyName`: a row
 * without a `keyId` is a JWT caller's (written before its subject id was recorded).
 */
export const callerSubject = (keyId: string | null, tenant: string, name: string): string =>
  keyId ?? subjectId("jwt", tenant, name);

/**
 * The id a request's record knows its caller by (the audit row's `keyId`, an admin action's
 * `actorKeyId`): its key's id, or for a JWT caller the subject id its limits and spend count under
 * (`jwt:<tenant>:<name>`), so that a JWT's name claim never reads as an API key of the same name. A
 * web UI session is known as what it was signed in with: its admin key's id, its JWT's subject id,
 * or for single sign-on the id its limits count under (`session:<tenant>:<name>`). Null for any
 * other caller without a key (an embedder's principal of `via: "key"` without a key id).
 */
export function callerId(principal: CallerParts): string | null {
  if (principal.via === "session")
    return principal.signedInWith === "jwt"
      ? callerSubject(principal.keyId, principal.tenant, principal.name)
      : limitSubject(principal);
  return isJwtCaller(principal) ? limitSubject(principal) : principal.keyId;
}
