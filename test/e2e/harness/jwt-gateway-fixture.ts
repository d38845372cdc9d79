import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { bearer, chatBody, fakeRoutesConfig } from "./fake-config.ts";
import { gatewayFixture } from "./gateway-fixture.ts";

export const ISSUER = "https://idp.test";
export const AUDIENCE = "mindgw";
/** What every refused credential is told, whatever the reason. */
export const UNIFORM = "invalid or missing credentials";

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
  pem: string;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" },
    pem: await exportSPKI(publicKey),
  };
}

export const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
/** The time in whole seconds, as a JWT's claims say it. */
export const now = () => Math.floor(Date.now() / 1000);

export interface TokenOptions {
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  iss?: string;
  aud?: string;
  exp?: number;
  nbf?: number;
}

/** A token of tenant acme for subject alice (unless `claims` say otherwise), signed by `key`. */
export function sign(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ tenant: "acme", ...options.claims })
    .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT", ...options.header })
    .setSubject(String(options.claims?.sub ?? "alice"))
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return jwt.sign(key.privateKey);
}

/** The identity provider's JWKS as a test steers it: the keys it publishes, how it answers, how often it was asked. */
export interface JwksState {
  published: JWK[];
  /** Its keys, a 503, or only once `releaseHung` is called. */
  mode: "ok" | "down" | "hang";
  hits: number;
}

/**
 * The gateway the JWT tests share (test/e2e/auth-jwt*.test.ts): `auth.jwt` on a JWKS served on
 * loopback (`idp`, with keys k1 and k2 to rotate), a bait server standing in for an attacker's
 * named by `jku` / `x5u` (it must never be called), tenants acme and globex, models m1 and m2 on
 * the fake upstream. Each file that calls it starts its own in its `beforeAll`: read what it
 * returns when a test runs.
 */
export function jwtGatewayFixture() {
  let keys: { k1: SigningKey; k2: SigningKey; attacker: SigningKey } | undefined;
  const idp: JwksState = { published: [], mode: "ok", hits: 0 };
  const hung: Array<() => void> = [];
  let jwks: ReturnType<typeof Bun.serve> | undefined;
  let bait: ReturnType<typeof Bun.serve> | undefined;
  let baitHits = 0;
  let startJwt: Record<string, unknown> = {};
  let configWith: (jwt: Record<string, unknown>) => object = () => ({});
  const started = <T>(thing: T | undefined): T => {
    if (thing === undefined) throw new Error("the JWT fixture is used before beforeAll ran");
    return thing;
  };

  const fx = gatewayFixture({
    fakeRoutes: false,
    config: async (_fakeUrl, { fake, defer }) => {
      const [k1, k2, attacker] = await Promise.all([
        signingKey("k1"),
        signingKey("k2"),
        signingKey("attacker"),
      ]);
      keys = { k1, k2, attacker };
      idp.published = [k1.jwk];
      const served = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch(req) {
          const path = new URL(req.url).pathname;
          if (path === "/down.json") return new Response("down", { status: 503 });
          if (path !== "/jwks.json") return new Response("no", { status: 404 });
          idp.hits++;
          if (idp.mode === "down") return new Response("down", { status: 503 });
          if (idp.mode === "hang")
            return new Promise<Response>((resolve) =>
              hung.push(() => resolve(Response.json({ keys: idp.published }))),
            );
          return Response.json({ keys: idp.published });
        },
      });
      jwks = served;
      defer(() => served.stop(true));
      const baiting = Bun.serve({
        hostname: "127.0.0.1",
        port: 0,
        fetch() {
          baitHits++;
          return Response.json({ keys: [attacker.jwk] });
        },
      });
      bait = baiting;
      defer(() => baiting.stop(true));
      startJwt = {
        jwks_url: `http://127.0.0.1:${served.port}/jwks.json`,
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["RS256"],
        clock_tolerance: "5s",
        jwks_cooldown: "1s",
        jwks_cache_max_age: "1s",
        claims: { name: "sub", tenant: "tenant", role: "role", models: "models" },
        limits: { rpm: 1000 },
      };
      configWith = (jwt) =>
        fakeRoutesConfig(fake.url, ["m1", "m2"], {
          tenants: [{ name: "acme" }, { name: "globex" }],
          auth: { jwt },
        });
      return configWith(startJwt);
    },
  });

  const chat = (token: string, model = "m1") =>
    fetch(`${fx.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(token),
      body: chatBody(model),
    });

  return {
    fx,
    idp,
    /** The bootstrap admin key. */
    get admin() {
      return fx.gw.adminKey ?? "";
    },
    get k1() {
      return started(keys).k1;
    },
    get k2() {
      return started(keys).k2;
    },
    get attacker() {
      return started(keys).attacker;
    },
    get jwksPort() {
      return started(jwks).port;
    },
    get baitPort() {
      return started(bait).port;
    },
    get baitHits() {
      return baitHits;
    },
    /** The gateway's `auth.jwt` at start; a test's reload edits a copy. */
    get startJwt() {
      return startJwt;
    },
    /** The whole config for an `auth.jwt` (tenants acme and globex configured). */
    configWith: (jwt: Record<string, unknown>) => configWith(jwt),
    /** Answers the JWKS requests held while it hangs. */
    releaseHung: () => {
      for (const release of hung.splice(0)) release();
    },
    chat,
    /** The status of a chat call with `token`, its body read. */
    async status(token: string, model = "m1"): Promise<number> {
      const res = await chat(token, model);
      await res.arrayBuffer();
      return res.status;
    },
  };
}
