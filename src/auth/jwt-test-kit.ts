import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";

/** Test-only: an RSA signing key with its kid, public JWK and SPKI PEM. */
export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
  pem: string;
}

export async function testKey(kid: string, alg = "RS256"): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, privateKey, jwk, pem: await exportSPKI(publicKey) };
}

/** How the test JWKS endpoint answers: its keys, a 503, or never. */
export type JwksMode = "ok" | "down" | "hang";

/** A loopback JWKS endpoint whose key set and health can be changed, counting fetches. */
export function jwksServer(initial: JWK[], options: { hang?: boolean } = {}) {
  let keys = initial;
  let hits = 0;
  let mode: JwksMode = options.hang ? "hang" : "ok";
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch() {
      hits++;
      if (mode === "hang") return new Promise<Response>(() => {});
      if (mode === "down") return new Response("unavailable", { status: 503 });
      return Response.json({ keys });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/.well-known/jwks.json`,
    hits: () => hits,
    setKeys: (next: JWK[]) => {
      keys = next;
    },
    setMode: (next: JwksMode) => {
      mode = next;
    },
    stop: () => server.stop(true),
  };
}

export const ISSUER = "https://idp.test";
export const AUDIENCE = "mindgw";

/** A token valid for the test issuer/audience unless `claims`/`header` override. */
export function sign(
  key: CryptoKey | Uint8Array,
  header: Record<string, unknown>,
  claims: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "bob", iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", ...header })
    .sign(key);
}

/** An unsigned token (`alg: none`) that jose's signer refuses to produce. */
export function unsigned(claims: Record<string, unknown>): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "bob", iss: ISSUER, aud: AUDIENCE, exp: now + 300, ...claims })}.`;
}
