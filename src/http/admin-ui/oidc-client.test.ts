import { describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair } from "jose";
import type { OidcIssuer } from "../../../test/e2e/harness/oidc-issuer.ts";
import { oidcConfigSchema } from "../../config/admin-ui-config.ts";
import { freePort } from "../../testing/free-port.ts";
import { createOidcClient, OidcError } from "./oidc-client.ts";
import { OIDC_CLIENT, oidcTestKit } from "./testing/oidc-test-kit.ts";

const { issuer, clientFor, authorize, signIn } = oidcTestKit();

describe("OIDC relying party", () => {
  test("code + PKCE + verified ID token: an allowed group is let in by email", async () => {
    issuer().user = { sub: "u-1", email: "ops@example.com", groups: ["platform"] };
    const client = clientFor();
    const { url, pending } = await client.start();
    expect(new URL(url).searchParams.get("code_challenge_method")).toBe("S256");
    expect(url).not.toContain(pending.verifier);
    const user = await client.finish(await authorize(url, pending), pending);
    expect(user).toEqual({
      issuer: issuer().url,
      subject: "u-1",
      user: "ops@example.com",
      groups: ["platform"],
    });
  });

  test("an email counts only when the token says email_verified: true (a boolean)", async () => {
    expect(await signIn({})).toMatchObject({ user: "alice@example.com" });
    for (const unverified of [null, "false", "true", false, 1]) {
      expect(await signIn({ email_verified: unverified })).toContain(
        "email alice@example.com not verified (email_verified), and subject u-9 is not in allowed_users",
      );
    }
  });

  test("user_claim names users by another claim (Entra ID's preferred_username), taken as stated", async () => {
    const entra = { email_verified: null, email: null, preferred_username: "alice@example.com" };
    expect(await signIn(entra)).toContain("u-9 is not in allowed_users");
    expect(await signIn(entra, { user_claim: "preferred_username" })).toMatchObject({
      subject: "u-9",
      user: "alice@example.com",
    });
  });

  test("a token for several audiences needs azp naming this client; another client's azp is refused", async () => {
    expect(await signIn({ aud: ["other-app", OIDC_CLIENT.id] })).toContain("several audiences and no azp");
    expect(await signIn({ aud: ["other-app", OIDC_CLIENT.id], azp: "other-app" })).toContain(
      "another client",
    );
    expect(await signIn({ azp: "other-app" })).toContain("another client");
    expect(await signIn({ aud: ["other-app", OIDC_CLIENT.id], azp: OIDC_CLIENT.id })).toMatchObject({
      user: "alice@example.com",
    });
  });

  test("someone outside allowed_users and allowed_groups is refused", async () => {
    issuer().user = { sub: "u-2", email: "eve@example.com", groups: ["sales"] };
    const client = clientFor({ allowed_users: ["alice@example.com"] });
    const { url, pending } = await client.start();
    const refused = await client.finish(await authorize(url, pending), pending).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OidcError);
    expect(String(refused)).toContain("eve@example.com is not in allowed_users or allowed_groups");
  });

  test("a wrong PKCE verifier, a replayed code or a nonce from another login fails", async () => {
    issuer().user = { sub: "u-1", email: "ops@example.com", groups: ["platform"] };
    const client = clientFor();
    const a = await client.start();
    const code = await authorize(a.url, a.pending);
    expect(
      await client.finish(code, { ...a.pending, verifier: "not-the-verifier" }).catch((e) => e),
    ).toBeInstanceOf(OidcError);
    expect(issuer().refusals.at(-1)).toBe("PKCE verifier does not match");
    expect(await client.finish(code, a.pending).catch((e) => e)).toBeInstanceOf(OidcError); // code used up

    const b = await client.start();
    const other = await client.start();
    const refused = await client
      .finish(await authorize(b.url, b.pending), { ...b.pending, nonce: other.pending.nonce })
      .catch((e: unknown) => e);
    expect(String(refused)).toContain("nonce does not match");
  });

  test("the provider's clock may be clock_tolerance (30 s) apart from ours; an ID token needs exp and iat", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await signIn({ iat: now + 1 })).toMatchObject({ user: "alice@example.com" });
    expect(await signIn({ iat: now + 20, exp: now + 320 })).toMatchObject({ user: "alice@example.com" });
    expect(await signIn({ iat: now + 20 }, { clock_tolerance: "5s" })).toContain(
      '"iat" claim timestamp check failed',
    );
    expect(await signIn({ exp: null })).toContain('missing required "exp" claim');
    expect(await signIn({ iat: null })).toContain('missing required "iat" claim');
  });

  test("the provider failing is `unavailable`, with what it said; a refusal of this sign-in is `refused`", async () => {
    const kindOf = async (failing: OidcIssuer["failing"], overrides: object = {}) => {
      issuer().failing = failing;
      try {
        const refused = await signIn({}, overrides);
        return typeof refused === "string" ? refused : "signed in";
      } finally {
        issuer().failing = {};
      }
    };
    expect(await kindOf({ token: 503 })).toContain(
      "the token endpoint answered 503: temporarily_unavailable (down for maintenance)",
    );
    expect(await kindOf({}, { client_secret: "wrong" })).toContain(
      "the token endpoint answered 401: invalid_client (client authentication failed)",
    );
    expect(await kindOf({ jwks: 503 })).toContain("the provider's JWKS could not be read");
    /** The kind of the first try's failure, and of a second try with the same code once the issuer is well. */
    const kindsOf = async (failing: OidcIssuer["failing"], overrides: object = {}) => {
      issuer().failing = failing;
      issuer().user = { sub: "u-9", email: "alice@example.com", groups: [] };
      const client = clientFor({ allowed_users: ["alice@example.com"], allowed_groups: [], ...overrides });
      const { url, pending } = await client.start();
      const code = await authorize(url, pending);
      const kind = (e: unknown) => (e instanceof OidcError ? e.kind : "signed in");
      const first = await client.finish(code, pending).then(kind, kind);
      issuer().failing = {};
      return [first, await client.finish(code, pending).then(kind, kind)];
    };
    // A code the token endpoint took is spent: trying it again is a refusal (invalid_grant).
    expect(await kindsOf({ jwks: 503 })).toEqual(["unavailable", "refused"]);
    expect(await kindsOf({ token: 503 })).toEqual(["unavailable", "signed in"]);
    expect(await kindsOf({}, { client_secret: "wrong" })).toEqual(["unavailable", "unavailable"]);
    const nothingListens = `http://127.0.0.1:${freePort()}`;
    const unreachable = createOidcClient(
      oidcConfigSchema.parse({
        issuer: nothingListens,
        client_id: OIDC_CLIENT.id,
        redirect_url: `${nothingListens}/admin/auth/callback`,
        allowed_users: ["a"],
      }),
    );
    const down = await unreachable.start().catch((e: unknown) => e);
    expect(down instanceof OidcError ? down.kind : down).toBe("unavailable");
  });

  test("a discovery document naming another issuer is refused, naming both", async () => {
    const client = clientFor({ issuer: `${issuer().url}/` });
    expect(String(await client.start().catch((e: unknown) => e))).toContain(
      `names issuer ${issuer().url}, not admin_ui.oidc.issuer ${issuer().url}/`,
    );
  });

  test("a discovery document naming an endpoint on plain http off loopback is refused, naming it", async () => {
    // The token endpoint would be sent the client secret and the code, the JWKS would say whose
    // signatures make an admin: in clear, anyone on the way could read or replace them.
    for (const field of ["authorization_endpoint", "token_endpoint", "jwks_uri"]) {
      issuer().discovery = { [field]: `http://idp.example.com/${field}` };
      try {
        const refused = await clientFor()
          .start()
          .catch((e: unknown) => e);
        expect(refused instanceof OidcError ? [refused.kind, refused.message] : refused).toEqual([
          "unavailable",
          expect.stringContaining(`names ${field} http://idp.example.com/${field}: it must be https`),
        ]);
      } finally {
        issuer().discovery = {};
      }
    }
    // On loopback, as the issuer may be, plain http is taken (this issuer's own are).
    issuer().discovery = { jwks_uri: `${issuer().url.replace("127.0.0.1", "localhost")}/jwks` };
    try {
      expect(await signIn({})).toMatchObject({ user: "alice@example.com" });
    } finally {
      issuer().discovery = {};
    }
  });

  /** A loopback server a redirect may name, answering `body` to whoever comes: who came. */
  function elsewhere(body: unknown) {
    const reached: string[] = [];
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => {
        reached.push(`${request.method} ${new URL(request.url).pathname}`);
        return Response.json(body);
      },
    });
    return { url: `http://127.0.0.1:${server.port}`, reached, stop: () => server.stop(true) };
  }

  test("a token endpoint's redirect is not followed: the code and verifier go nowhere else", async () => {
    const other = elsewhere({ id_token: "never" });
    issuer().failing = { tokenRedirect: `${other.url}/token` };
    try {
      const refused = await signIn({});
      expect(refused).toContain(`the token endpoint answered 307, a redirect to ${other.url}/token`);
      expect(other.reached).toEqual([]);
    } finally {
      issuer().failing = {};
      other.stop();
    }
  });

  test("discovery's redirect is not followed: another document cannot name the endpoints or keys", async () => {
    // What someone on the way would answer in the provider's place: its own endpoints and keys.
    const impostor = elsewhere({
      issuer: issuer().url,
      authorization_endpoint: "https://idp.example.net/authorize",
      token_endpoint: "https://idp.example.net/token",
      jwks_uri: "https://idp.example.net/jwks",
    });
    // The log names where it pointed, without its user info or query.
    issuer().failing = {
      discoveryRedirect: `${impostor.url.replace("//", "//user:pw@")}/.well-known/openid-configuration?sig=s3`,
    };
    try {
      const refused = await clientFor()
        .start()
        .catch((e: unknown) => e);
      expect(refused instanceof OidcError ? [refused.kind, refused.message] : refused).toEqual([
        "unavailable",
        expect.stringContaining(
          `answered 302, a redirect to ${impostor.url}/.well-known/openid-configuration, which the gateway does not follow`,
        ),
      ]);
      expect(String(refused)).not.toContain("pw");
      expect(String(refused)).not.toContain("s3");
      expect(impostor.reached).toEqual([]);
    } finally {
      issuer().failing = {};
      impostor.stop();
    }
  });

  test("the JWKS's redirect is not followed: other keys cannot vouch for an ID token", async () => {
    const { publicKey } = await generateKeyPair("RS256");
    const other = elsewhere({ keys: [{ ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256" }] });
    issuer().failing = { jwksRedirect: `${other.url}/jwks` };
    try {
      issuer().user = { sub: "u-1", email: "ops@example.com", groups: ["platform"] };
      const client = clientFor();
      const { url, pending } = await client.start();
      const refused = await client.finish(await authorize(url, pending), pending).catch((e: unknown) => e);
      expect(refused instanceof OidcError ? [refused.kind, refused.message] : refused).toEqual([
        "unavailable",
        expect.stringContaining(
          `the provider's JWKS answered 302, a redirect to ${other.url}/jwks, which the gateway does not follow`,
        ),
      ]);
      expect(other.reached).toEqual([]);
    } finally {
      issuer().failing = {};
      other.stop();
    }
  });

  test("the config needs someone to let in, and https outside loopback", () => {
    const base = {
      issuer: "https://idp.example.com",
      client_id: "x",
      redirect_url: "https://gw.example.com/admin/auth/callback",
    };
    expect(oidcConfigSchema.safeParse(base).success).toBe(false);
    expect(oidcConfigSchema.safeParse({ ...base, allowed_users: ["a@b.c"] }).success).toBe(true);
    expect(
      oidcConfigSchema.safeParse({ ...base, issuer: "http://idp.example.com", allowed_users: ["a"] }).success,
    ).toBe(false);
    expect(
      oidcConfigSchema.safeParse({
        ...base,
        redirect_url: "https://gw.example.com/elsewhere",
        allowed_users: ["a"],
      }).success,
    ).toBe(false);
  });
});
