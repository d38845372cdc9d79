import { createPublicKey, type KeyObject } from "node:crypto";
import { messageOf } from "../core/describe-error.ts";

/**
 * The fewest bits of an RSA modulus the verifier takes (jose refuses a shorter key at every
 * token, "requires key modulusLength to be 2048 bits or larger", as RFC 7518 §3.3 asks).
 */
const MIN_RSA_BITS = 2048;
const RSA = `an RSA key of at least ${MIN_RSA_BITS} bits`;

/** The key type (and EC curve) each asymmetric JWS algorithm verifies with (RFC 7518, RFC 8037). */
const NEEDS: Record<string, { type: readonly string[]; curve?: string; named: string }> = {
  RS256: { type: ["rsa"], named: RSA },
  RS384: { type: ["rsa"], named: RSA },
  RS512: { type: ["rsa"], named: RSA },
  PS256: { type: ["rsa", "rsa-pss"], named: RSA },
  PS384: { type: ["rsa", "rsa-pss"], named: RSA },
  PS512: { type: ["rsa", "rsa-pss"], named: RSA },
  ES256: { type: ["ec"], curve: "prime256v1", named: "an EC P-256 key" },
  ES384: { type: ["ec"], curve: "secp384r1", named: "an EC P-384 key" },
  ES512: { type: ["ec"], curve: "secp521r1", named: "an EC P-521 key" },
  EdDSA: { type: ["ed25519", "ed448"], named: "an Ed25519 or Ed448 key" },
  Ed25519: { type: ["ed25519"], named: "an Ed25519 key" },
};

/** A problem with `auth.jwt.public_key`: where (`public_key`, or the algorithm's index) and what. */
export interface PublicKeyProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Reads `public_key` (PEM: SPKI or an X.509 certificate) as the verifier will, and checks each
 * listed algorithm can verify with it: a key that does not parse, or of the wrong type, would
 * otherwise pass `config check`, a start and a reload, and then refuse every token as the
 * caller's 401 (jose imports it only at the first token).
 */
export function publicKeyProblems(pem: string, algorithms: readonly string[]): PublicKeyProblem[] {
  // The verifier imports these two alone (jose's importSPKI, importX509): a private key or a
  // PKCS#1 `RSA PUBLIC KEY` parses here, yet would refuse every token.
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1];
  if (label !== undefined && label !== "PUBLIC KEY" && label !== "CERTIFICATE")
    return [
      {
        path: ["public_key"],
        message: `a PEM "${label}" is not taken: give the public key as "PUBLIC KEY" (SPKI) or a "CERTIFICATE"`,
      },
    ];
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    const why = messageOf(error);
    return [{ path: ["public_key"], message: `not a public key or certificate in PEM: ${why}` }];
  }
  const type = key.asymmetricKeyType ?? "unknown";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  const problems: PublicKeyProblem[] = [];
  algorithms.forEach((alg, i) => {
    const needs = NEEDS[alg];
    if (!needs) return;
    const short = bits !== undefined && bits < MIN_RSA_BITS;
    if (needs.type.includes(type) && (needs.curve === undefined || needs.curve === curve) && !short) return;
    const has = curve
      ? `an ${type} ${curve} key`
      : short
        ? `an ${type} key of ${bits} bits`
        : `an ${type} key`;
    problems.push({ path: ["algorithms", i], message: `${alg} needs ${needs.named}; public_key is ${has}` });
  });
  return problems;
}
