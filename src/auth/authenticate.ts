import { GatewayError, neverRetry } from "../core/gateway-error.ts";
import { API_KEY_PREFIX } from "./api-key.ts";
import { ClaimError } from "./jwt-claims.ts";
import type { JwtVerifier } from "./jwt-verifier.ts";
import type { KeyCache } from "./key-cache.ts";
import { keyStoreFailed } from "./key-store-failures.ts";
import type { Principal } from "./principal.ts";

/** Why a credential was refused: the refusal's `detail`, for its log line. Never the credential. */
export type AuthRejection =
  | "missing"
  | "malformed"
  | "unknown_key"
  | "unknown_tenant"
  | "jwt_disabled"
  | "jwt_invalid";

/**
 * The refusals no later try of the same credential passes: none, or one that is no credential, or
 * a key the gateway issued and no longer holds (unknown, revoked, expired), or a caller of a tenant
 * the config does not list. A refused JWT is not among them: an expired one is what Claude Code's
 * `apiKeyHelper` is run again on a 401 to replace, and a new `kid` may verify once the JWKS is read
 * again (`jwks_cooldown`). Nor is `jwt_disabled`, which a config reload may enable.
 */
const REFUSED_FOR_GOOD: ReadonlySet<AuthRejection> = new Set([
  "missing",
  "malformed",
  "unknown_key",
  "unknown_tenant",
]);

export interface AuthenticatorOptions {
  keys: KeyCache;
  jwt?: JwtVerifier;
}

export type Authenticator = (headers: Headers) => Promise<Principal>;

/** Longer than any key or sane JWT; refusing early bounds the work a junk header costs. */
const MAX_TOKEN_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BEARER = /^bearer\s+/i;
/** `bearer` and the one white-space character `BEARER` needs at least (any more is trimmed). */
const BEARER_SCHEME_LENGTH = 7;

/**
 * The single refusal: the same status, code and message whatever went wrong, so no oracle. What
 * went wrong is its `detail`, which only the access line shows. `forGood` adds
 * `x-should-retry: false`, for a cause the same request would meet again (`REFUSED_FOR_GOOD`);
 * without it the clients may try again, and Claude Code refreshes its token first. An embedder's
 * authenticator that threw (an introspection service down) is never told for good.
 */
export const unauthorized = (detail?: string, forGood = false): GatewayError =>
  new GatewayError({
    status: 401,
    code: "unauthorized",
    message: "invalid or missing credentials",
    ...(forGood ? { headers: neverRetry() } : {}),
    ...(detail !== undefined ? { detail } : {}),
  });

/** The refusal of a credential the gateway checked itself, for `reason` (and `why`, logged). */
export const refused = (reason: AuthRejection, why?: string): GatewayError =>
  unauthorized(why === undefined ? reason : `${reason}: ${why}`, REFUSED_FOR_GOOD.has(reason));

/** A key lookup that failed: the key may well be good, so not a 401 but a 503 to retry. */
const keyStoreUnavailable = keyStoreFailed("key lookup");

/**
 * Reads `Authorization: Bearer <token>` (or `x-api-key: <token>`) and resolves the caller.
 * `mgw_…` tokens are API keys; three dot-separated base64url parts are JWTs when a verifier is
 * configured. Anything else, or any failure, is the uniform 401.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { keys, jwt } = options;
  const reject = (reason: AuthRejection, why?: string): Promise<never> =>
    Promise.reject(refused(reason, why));
  const knownOrReject = (principal: Principal | null) => principal ?? reject("unknown_key");
  const verify = async (token: string): Promise<Principal> => {
    if (!jwt) return reject("jwt_disabled");
    try {
      return await jwt.verify(token);
    } catch (error) {
      // A JWKS that cannot be read is the gateway's failure (503), not the caller's.
      if (error instanceof GatewayError) throw error;
      return reject("jwt_invalid", jwtRefusal(error));
    }
  };
  // Not an async function: a key in the cache (nearly every request) is answered with the cache
  // entry's own settled promise, no async frame and no promise made. Refusals are rejected
  // promises, never a throw.
  return (headers) => {
    const token = tokenFrom(headers);
    if (token === null) return reject("missing");
    if (token.length > MAX_TOKEN_LENGTH) return reject("malformed");
    if (token.startsWith(API_KEY_PREFIX)) {
      const cached = keys.cached(token);
      if (cached === undefined) return keys.resolve(token).then(knownOrReject, keyStoreUnavailable);
      return cached ?? reject("unknown_key");
    }
    if (!JWT_SHAPE.test(token)) return reject("malformed");
    return verify(token);
  };
}

/**
 * Who a request's API key names when the key cache holds it, valid, now (KeyCache.known): no store
 * read, no JWT verified, nothing awaited; undefined for anyone else. For the record of a request
 * refused before it is authenticated (the gateway draining, at capacity), which must neither wait
 * on storage nor become a 401.
 */
export const cachedCaller =
  (keys: KeyCache) =>
  (headers: Headers): Principal | undefined => {
    const token = tokenFrom(headers);
    return token?.startsWith(API_KEY_PREFIX) ? keys.known(token) : undefined;
  };

/**
 * Whether a request presents a mindgw credential: a Bearer token, or `x-api-key` when it has none.
 * An `Authorization` of another scheme (a proxy's `Basic …`) is none, as `createAuthenticator` reads it.
 */
export const presentsCredential = (headers: Headers): boolean => tokenFrom(headers) !== null;

function tokenFrom(headers: Headers): string | null {
  const authorization = headers.get("authorization");
  if (authorization !== null && BEARER.test(authorization)) {
    // "bearer" and one white space matched, the rest of the run trimmed: the scheme taken off by
    // a slice, where a second run of the pattern (`replace`) cost ~30–70 ns more a request.
    const token = authorization.slice(BEARER_SCHEME_LENGTH).trim();
    if (token !== "") return token;
  }
  const apiKey = headers.get("x-api-key")?.trim();
  return apiKey ? apiKey : null;
}

/**
 * Why jose or the claim mapping refused a token: jose's error code (with the claim at fault for a
 * claim check), or the claim error's own words. Neither ever holds the token.
 */
function jwtRefusal(error: unknown): string {
  if (error instanceof ClaimError) return error.message;
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    const claim = "claim" in error && typeof error.claim === "string" ? ` (${error.claim})` : "";
    return `${error.code}${claim}`;
  }
  return error instanceof Error ? error.name : "error";
}
