import type { JWK } from "jose";

/** A key a fetched JWKS published that cannot verify a token, and why (for the log). */
export interface DroppedKey {
  /** Its `kid`, or its place in the set (`#2`) when it has none. */
  readonly kid: string;
  readonly reason: string;
}

/** What a fetched JWKS holds: the keys tokens can be verified with, and the broken ones left out. */
export interface UsableKeys {
  readonly keys: JWK[];
  readonly dropped: DroppedKey[];
  /** Every signing key the set publishes, good or broken, by `kid` (or place): which set this is. */
  readonly kids: string[];
}

/** The algorithm a key that names none is imported with to check its material: its type's first. */
const PROBE_ALGORITHM: Readonly<Record<string, string>> = {
  RSA: "RS256",
  "EC:P-256": "ES256",
  "EC:P-384": "ES384",
  "EC:P-521": "ES512",
  "OKP:Ed25519": "Ed25519",
};

/**
 * Imports every signing key of a fetched JWKS. jose's own set imports a key only when a token
 * names it, so a set of broken keys (`"n": "!!"`) would replace a good one and fail every token;
 * importing them as the set arrives finds them first. A key for encryption (`use: "enc"`) is left
 * out silently: it was never for tokens. A document that is no key set at all throws.
 */
export async function usableKeys(document: unknown): Promise<UsableKeys> {
  const { importJWK } = require("jose") as typeof import("jose");
  if (
    typeof document !== "object" ||
    document === null ||
    !Array.isArray((document as { keys?: unknown }).keys)
  )
    throw new Error("the JWKS is not a key set (no keys array)");
  const published = (document as { keys: unknown[] }).keys;
  const keys: JWK[] = [];
  const dropped: DroppedKey[] = [];
  const kids: string[] = [];
  for (const [index, entry] of published.entries()) {
    const jwk = (typeof entry === "object" && entry !== null ? entry : {}) as JWK;
    if (jwk.use !== undefined && jwk.use !== "sig") continue;
    const kid = typeof jwk.kid === "string" ? jwk.kid : `#${index}`;
    kids.push(kid);
    const algorithm = jwk.alg ?? PROBE_ALGORITHM[jwk.crv ? `${jwk.kty}:${jwk.crv}` : String(jwk.kty)];
    try {
      if (algorithm === undefined) throw new Error(`no alg, and key type ${String(jwk.kty)} implies none`);
      const key = await importJWK(jwk, algorithm);
      if (key instanceof Uint8Array || key.type !== "public") throw new Error("not a public key");
      keys.push(jwk);
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      dropped.push({ kid, reason: reason.slice(0, 200) });
    }
  }
  return { keys, dropped, kids };
}
