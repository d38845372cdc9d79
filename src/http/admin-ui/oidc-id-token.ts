import type { FetchImplementation, JWTPayload, JWTVerifyOptions } from "jose";
import type { OidcConfig } from "../../config/admin-ui-config.ts";
import { OidcError, reasonOf } from "./oidc-error.ts";
import { notRedirected } from "./oidc-redirect.ts";

/** What discovery says an ID token is verified with. */
export interface IdTokenKeys {
  readonly jwksUri: string;
  /** The algorithms it may be signed with (oidc-client.ts, `idTokenAlgorithms`). */
  readonly algorithms: string[];
}

/**
 * jose's refusals that are the provider's JWKS failing (unreadable, slow, not a key set), or the
 * way to it (a fetch that threw no JOSE error), not the token's.
 */
const JWKS_FAILURES = new Set(["ERR_JOSE_GENERIC", "ERR_JWKS_TIMEOUT", "ERR_JWKS_INVALID"]);
const NO_MATCHING_KEY = "ERR_JWKS_NO_MATCHING_KEY";
const joseCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;

/**
 * Verifies an ID token with jose against the provider's JWKS, read once and kept (jose's
 * createRemoteJWKSet: fresh ten minutes): signature by one of `keys.algorithms`, issuer, audience,
 * expiry and issue time within `clock_tolerance`, age. Returns the claims; throws OidcError,
 * `unavailable` when the JWKS could not be read, `refused` when the token does not verify.
 */
export function idTokenVerifier(config: OidcConfig, keys: IdTokenKeys, fetchImpl: typeof fetch) {
  // jose is loaded on the first sign-in, not at start (docs/BENCHMARKS-HISTORY.md, idle RSS).
  const jose = require("jose") as typeof import("jose");
  const jwks = jose.createRemoteJWKSet(new URL(keys.jwksUri), {
    [jose.customFetch]: unredirectedJwks(fetchImpl),
  });
  const options: JWTVerifyOptions = {
    issuer: config.issuer,
    audience: config.client_id,
    // Checked before any key is looked up: no other algorithm's key is fetched or tried.
    algorithms: keys.algorithms,
    maxTokenAge: "10m",
    // The provider's clock is not ours: a token issued a second "in the future" is fine.
    clockTolerance: Math.floor(config.clock_tolerance / 1000),
    requiredClaims: ["exp", "iat", "sub"],
  };
  /** Why the token did not verify, in the sign-in's terms. */
  const failure = (error: unknown, idToken: string): OidcError => {
    if (error instanceof OidcError) return error;
    const code = joseCode(error);
    if (code === "ERR_JOSE_ALG_NOT_ALLOWED") {
      const { alg } = jose.decodeProtectedHeader(idToken);
      return new OidcError(
        `the ID token was refused: it is signed with ${alg}, not ${keys.algorithms.join(", ")} (id_token_signing_alg_values_supported)`,
      );
    }
    if (code === NO_MATCHING_KEY) {
      const { kid } = jose.decodeProtectedHeader(idToken);
      return new OidcError(
        `the ID token was refused: its key (kid ${kid ?? "none"}) is not in the provider's JWKS, read for this sign-in`,
      );
    }
    const jwksFailed = code === undefined || JWKS_FAILURES.has(code);
    return new OidcError(
      jwksFailed
        ? `the provider's JWKS could not be read: ${reasonOf(error)}`
        : `the ID token was refused: ${reasonOf(error)}`,
      jwksFailed ? "unavailable" : "refused",
    );
  };
  return async (idToken: string): Promise<JWTPayload> => {
    const verify = async () => (await jose.jwtVerify(idToken, jwks, options)).payload;
    // jose reads the set again for a key it lacks only when it read it over 30 s ago (its
    // cooldown): a provider that rotated to a new key since would have its user refused for the
    // gateway's stale set. The token came from the token endpoint, not the browser, and each
    // sign-in costs a token request already: one read more for it, and then a key still missing
    // is the provider's word.
    const readMomentsAgo = jwks.coolingDown;
    return verify()
      .catch(async (error: unknown) => {
        if (!readMomentsAgo || joseCode(error) !== NO_MATCHING_KEY) throw error;
        await jwks.reload();
        return verify();
      })
      .catch((error: unknown) => {
        throw failure(error, idToken);
      });
  };
}

/** jose's JWKS fetch (its `customFetch`), refusing a redirect with where it pointed (oidc-redirect.ts). */
const unredirectedJwks =
  (fetchImpl: typeof fetch): FetchImplementation =>
  async (url, options) =>
    notRedirected(
      // jose asks for `manual` itself: said here too, as this is what keeps the keys the provider's.
      await fetchImpl(url, { ...options, redirect: "manual" }),
      "the provider's JWKS",
      "the discovery document must name the JWKS itself",
    );
