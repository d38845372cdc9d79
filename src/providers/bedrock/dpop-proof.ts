import { createPrivateKey, createPublicKey, randomUUID } from "node:crypto";
import { exportJWK, SignJWT } from "jose";

/**
 * An RFC 9449 DPoP proof that the holder of the P-256 key `pem` (SEC 1 PEM, as `aws login` keeps
 * it) sends this request: a JWT signed ES256, its header carrying the public key (`jwk`: `kty`,
 * `crv`, `x`, `y`), its claims the method (`htm`), the URL without query (`htu`), the time in
 * seconds (`iat`) and a fresh id (`jti`), as the AWS SDKs send it to AWS Sign-In. Throws when the
 * key is not a P-256 private key.
 */
export async function dpopProof(pem: string, method: string, url: string, nowMs: number): Promise<string> {
  const key = createPrivateKey(pem);
  const { kty, crv, x, y } = await exportJWK(createPublicKey(key));
  return new SignJWT({ htm: method, htu: url })
    .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: { kty, crv, x, y } })
    .setJti(randomUUID())
    .setIssuedAt(Math.floor(nowMs / 1000))
    .sign(key);
}
