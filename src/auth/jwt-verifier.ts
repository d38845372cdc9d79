import type {
  CryptoKey,
  JWSHeaderParameters,
  JWTVerifyGetKey,
  JWTVerifyOptions,
  JWTVerifyResult,
  ResolvedKey,
} from "jose";
import type { JwtConfig } from "../config/jwt-config.ts";
import { JwksKeys, type JwksKeysOptions, type JwksTiming } from "./jwks-keys.ts";
import { ClaimError, principalFromClaims } from "./jwt-claims.ts";
import type { Principal } from "./principal.ts";

/** Turns a bearer JWT into a principal, or throws (the reason is for logs, never the client). */
export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
}

/** What a JWKS key source takes besides the config (jwks-keys.ts): where to log, a clock and fetch for tests. */
export type JwtVerifierOptions = Pick<JwksKeysOptions, "onFetchFailed" | "onKeyDropped" | "now" | "fetch">;

/** The verification key of one config: a secret, or a key lookup (a static public key, a JWKS). */
type VerifyKey = JWTVerifyGetKey | Uint8Array;

/** The verifier of each config version in turn, and what the issuer's key set in hand holds. */
export interface JwtVerifiers {
  (config: JwtConfig, tenants: readonly string[]): JwtVerifier;
  /**
   * Whether the key set in hand (`auth.jwt.jwks_url`) still publishes the key with this RFC 7638
   * thumbprint (`Principal.jwtKey`); false without a JWKS. Fetches only as a token's verification
   * would (the first set; a stale one's refresh behind it), so a web UI session's check is no
   * fetch per request.
   */
  keyHeld(thumbprint: string): Promise<boolean>;
}

/**
 * Builds the verifier of each config version in turn (`tenants`: the configured tenants' names). A
 * reload that edits `auth.jwt` gets a new verifier, but while `jwks_url` stays the same it keeps
 * the JWKS key source and the keys it holds, retuned to the new timings: an edit to the claims or
 * limits made while the identity provider is unreachable refuses no one (docs/SECURITY.md).
 */
export function jwtVerifiers(sourceOptions: JwtVerifierOptions = {}): JwtVerifiers {
  let jwks: JwksKeys | undefined;
  const keyOf = (config: JwtConfig): VerifyKey => {
    if (config.jwks_url === undefined) return staticKey(config);
    const url = new URL(config.jwks_url);
    const timing: JwksTiming = {
      maxAgeMs: config.jwks_cache_max_age,
      cooldownMs: config.jwks_cooldown,
      timeoutMs: config.jwks_timeout,
    };
    if (jwks?.url === url.href) jwks.retune(timing);
    else jwks = new JwksKeys({ url, ...timing, ...sourceOptions });
    return jwks.getKey;
  };
  return Object.assign(
    (config: JwtConfig, tenants: readonly string[]) => verifierWith(config, tenants, keyOf(config)),
    { keyHeld: async (thumbprint: string) => (jwks ? jwks.holds(thumbprint) : false) },
  );
}

/** One verifier on a key source of its own. */
export const createJwtVerifier = (
  config: JwtConfig,
  sourceOptions: JwtVerifierOptions = {},
  tenants: readonly string[] = [],
): JwtVerifier => jwtVerifiers(sourceOptions)(config, tenants);

/**
 * Verification is jose's `jwtVerify` with an explicit algorithm allow-list, issuer, audience
 * and clock tolerance; `exp` and `nbf` are enforced by it. The key comes only from config:
 * jose never follows a token's `jku`/`x5u` or trusts an embedded `jwk`, and the allow-list is
 * checked before any key is chosen, so `alg: none` and HS-signed-with-the-public-key fail.
 */
function verifierWith(config: JwtConfig, tenants: readonly string[], key: VerifyKey): JwtVerifier {
  // jose is loaded with the first verifier, not at start: a gateway without JWT callers does not
  // hold it (docs/BENCHMARKS-HISTORY.md, idle RSS).
  const jose = require("jose") as typeof import("jose");
  const options: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    algorithms: config.algorithms,
    clockTolerance: Math.floor(config.clock_tolerance / 1000),
    requiredClaims: ["exp"],
  };
  const types = new Set(config.typ.map(mediaType));
  const fromJwks = config.jwks_url !== undefined;
  return {
    async verify(token) {
      const { payload, protectedHeader, key: verifiedBy } = await verifyJwt(jose, token, key, options);
      if (protectedHeader.typ === undefined || !types.has(mediaType(protectedHeader.typ)))
        throw new ClaimError(`JWT typ ${protectedHeader.typ ?? "(none)"} is not accepted`);
      // A secret or public key is auth.jwt's own; a JWKS key is the issuer's, and may be withdrawn.
      // Its thumbprint is worked out once: every later token it verifies waits for nothing more.
      const jwksKey = fromJwks && verifiedBy !== undefined && !(verifiedBy instanceof Uint8Array);
      const jwtKey = jwksKey
        ? (thumbprints.get(verifiedBy) ?? (await thumbprintOf(jose, verifiedBy)))
        : undefined;
      return principalFromClaims(payload, config, tenants, jwtKey);
    },
  };
}

/** Each JWKS key's thumbprint, once worked out: jose hands back the same imported key for each token it verifies. */
const thumbprints = new WeakMap<CryptoKey, string>();

async function thumbprintOf(
  { exportJWK, calculateJwkThumbprint }: typeof import("jose"),
  key: CryptoKey,
): Promise<string> {
  const thumbprint = await calculateJwkThumbprint(await exportJWK(key));
  thumbprints.set(key, thumbprint);
  return thumbprint;
}

/**
 * jose's `jwtVerify`, trying each key when the set holds several the token may be signed with (no
 * `kid`, and two keys of its type, as during a rotation): jose then hands them over on its error
 * for the caller to try, and the first whose signature verifies decides (a later failure of its
 * claims is the token's). With the key that verified it when it came from a lookup (`key`: a JWKS
 * or public key); a secret's result is jose's as is.
 */
async function verifyJwt(
  { jwtVerify, errors }: typeof import("jose"),
  token: string,
  key: VerifyKey,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult & Partial<ResolvedKey>> {
  try {
    // Two calls for jose's two overloads (a key, a key lookup).
    if (key instanceof Uint8Array) return await jwtVerify(token, key, options);
    return await jwtVerify(token, key, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    let refusal: unknown = error;
    for await (const candidate of error) {
      try {
        const verified: JWTVerifyResult & Partial<ResolvedKey> = await jwtVerify(token, candidate, options);
        verified.key = candidate;
        return verified;
      } catch (tried) {
        if (!(tried instanceof errors.JWSSignatureVerificationFailed)) throw tried;
        refusal = tried;
      }
    }
    throw refusal;
  }
}

function staticKey(config: JwtConfig): VerifyKey {
  const { importSPKI, importX509 } = require("jose") as typeof import("jose");
  if (config.secret !== undefined) return new TextEncoder().encode(config.secret);
  const pem = config.public_key ?? "";
  // The PEM is imported once per algorithm actually used (jose binds a CryptoKey to one alg).
  const imported = new Map<string, Promise<CryptoKey>>();
  return (header: JWSHeaderParameters) => {
    const alg = header.alg ?? "";
    let key = imported.get(alg);
    if (!key) {
      key = pem.includes("BEGIN CERTIFICATE") ? importX509(pem, alg) : importSPKI(pem, alg);
      imported.set(alg, key);
    }
    return key;
  };
}

/** RFC 7515 4.1.9: `typ` is a media type that may omit its `application/` prefix. */
const mediaType = (typ: string) => typ.toLowerCase().replace(/^application\//, "");
