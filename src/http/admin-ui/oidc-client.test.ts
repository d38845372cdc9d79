import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type OidcIssuer, startOidcIssuer } from "../../../test/e2e/harness/oidc-issuer.ts";
import { oidcConfigSchema } from "../../config/admin-ui-config.ts";
import { createOidcClient, OidcError, type PendingLogin } from "./oidc-client.ts";

const CLIENT = { id: "mindgw", secret: "s3cret" };
let issuer: OidcIssuer;

beforeAll(async () => {
  issuer = await startOidcIssuer(CLIENT);
});
afterAll(() => issuer.stop());

const clientFor = (overrides: object = {}) =>
  createOidcClient(
    oidcConfigSchema.parse({
      issuer: issuer.url,
      client_id: CLIENT.id,
      client_secret: CLIENT.secret,
      redirect_url: "http://127.0.0.1:9/admin/auth/callback",
      allowed_groups: ["platform"],
      ...overrides,
    }),
  );

/** Follows the authorization URL as a browser would, up to the redirect back: returns the code. */
async function authorize(url: string, pending: PendingLogin): Promise<string> {
  const response = await fetch(url, { redirect: "manual" });
  const back = new URL(response.headers.get("location") ?? "");
  expect(back.pathname).toBe("/admin/auth/callback");
  expect(back.searchParams.get("state")).toBe(pending.state);
  return back.searchParams.get("code") ?? "";
}

describe("OIDC relying party", () => {
  test("code + PKCE + verified ID token: an allowed group is let in by email", async () => {
    issuer.user = { sub: "u-1", email: "ops@example.com", groups: ["platform"] };
    const client = clientFor();
    const { url, pending } = await client.start();
    expect(new URL(url).searchParams.get("code_challenge_method")).toBe("S256");
    expect(url).not.toContain(pending.verifier);
    const user = await client.finish(await authorize(url, pending), pending);
    expect(user).toEqual({ subject: "u-1", user: "ops@example.com", groups: ["platform"] });
  });

  /** Signs `claims` in through the issuer and the client: the identity, or why it was refused. */
  async function signIn(claims: Record<string, unknown>, overrides: object = {}) {
    issuer.user = { sub: "u-9", email: "alice@example.com", groups: [], claims };
    const client = clientFor({ allowed_users: ["alice@example.com"], allowed_groups: [], ...overrides });
    const { url, pending } = await client.start();
    return client.finish(await authorize(url, pending), pending).catch((e: unknown) => String(e));
  }

  test("an email counts only when the token says email_verified: true (a boolean)", async () => {
    expect(await signIn({})).toMatchObject({ user: "alice@example.com" });
    for (const unverified of [null, "false", "true", false, 1]) {
      expect(await signIn({ email_verified: unverified })).toContain(
        "u-9 is not in allowed_users or allowed_groups",
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
    expect(await signIn({ aud: ["other-app", CLIENT.id] })).toContain("several audiences and no azp");
    expect(await signIn({ aud: ["other-app", CLIENT.id], azp: "other-app" })).toContain("another client");
    expect(await signIn({ azp: "other-app" })).toContain("another client");
    expect(await signIn({ aud: ["other-app", CLIENT.id], azp: CLIENT.id })).toMatchObject({
      user: "alice@example.com",
    });
  });

  test("someone outside allowed_users and allowed_groups is refused", async () => {
    issuer.user = { sub: "u-2", email: "eve@example.com", groups: ["sales"] };
    const client = clientFor({ allowed_users: ["alice@example.com"] });
    const { url, pending } = await client.start();
    const refused = await client.finish(await authorize(url, pending), pending).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OidcError);
    expect(String(refused)).toContain("eve@example.com is not in allowed_users or allowed_groups");
  });

  test("a wrong PKCE verifier, a replayed code or a nonce from another login fails", async () => {
    issuer.user = { sub: "u-1", email: "ops@example.com", groups: ["platform"] };
    const client = clientFor();
    const a = await client.start();
    const code = await authorize(a.url, a.pending);
    expect(
      await client.finish(code, { ...a.pending, verifier: "not-the-verifier" }).catch((e) => e),
    ).toBeInstanceOf(OidcError);
    expect(issuer.refusals.at(-1)).toBe("PKCE verifier does not match");
    expect(await client.finish(code, a.pending).catch((e) => e)).toBeInstanceOf(OidcError); // code used up

    const b = await client.start();
    const other = await client.start();
    const refused = await client
      .finish(await authorize(b.url, b.pending), { ...b.pending, nonce: other.pending.nonce })
      .catch((e: unknown) => e);
    expect(String(refused)).toContain("nonce does not match");
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
