import { GatewayError } from "../core/gateway-error.ts";
import { API_KEY_PREFIX } from "./api-key.ts";
import type { JwtVerifier } from "./jwt-verifier.ts";
import type { KeyCache } from "./key-cache.ts";
import type { Principal } from "./principal.ts";

/** Why a credential was refused, for a log line. Never contains the credential. */
export type AuthRejection = "missing" | "malformed" | "unknown_key" | "jwt_disabled" | "jwt_invalid";

export interface AuthenticatorOptions {
  keys: KeyCache;
  jwt?: JwtVerifier;
  /** Observes refusals (reason and, for JWTs, jose's error code) without the token. */
  onReject?: (reason: AuthRejection, detail?: string) => void;
}

export type Authenticator = (headers: Headers) => Promise<Principal>;

/** Longer than any key or sane JWT; refusing early bounds the work a junk header costs. */
const MAX_TOKEN_LENGTH = 8192;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BEARER = /^bearer\s+/i;
/** `bearer` and the one white-space character `BEARER` needs at least (any more is trimmed). */
const BEARER_SCHEME_LENGTH = 7;

/** The single refusal: the same status, code and message whatever went wrong, so no oracle. */
export const unauthorized = (): GatewayError =>
  new GatewayError({ status: 401, code: "unauthorized", message: "invalid or missing credentials" });

/**
 * Reads `Authorization: Bearer <token>` (or `x-api-key: <token>`) and resolves the caller.
 * `mgw_…` tokens are API keys; three dot-separated base64url parts are JWTs when a verifier is
 * configured. Anything else, or any failure, is the uniform 401.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { keys, jwt } = options;
  const reject = (reason: AuthRejection, detail?: string): Promise<never> => {
    options.onReject?.(reason, detail);
    return Promise.reject(unauthorized());
  };
  const knownOrReject = (principal: Principal | null) => principal ?? reject("unknown_key");
  const verify = async (token: string): Promise<Principal> => {
    if (!jwt) return reject("jwt_disabled");
    try {
      return await jwt.verify(token);
    } catch (error) {
      return reject("jwt_invalid", errorCode(error));
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
      if (cached === undefined) return keys.resolve(token).then(knownOrReject);
      return cached ?? reject("unknown_key");
    }
    if (!JWT_SHAPE.test(token)) return reject("malformed");
    return verify(token);
  };
}

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

function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return error instanceof Error ? error.name : "error";
}
