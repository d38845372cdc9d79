import { describe, expect, test } from "bun:test";
import { OidcError } from "./oidc-client.ts";
import { oidcTestKit } from "./testing/oidc-test-kit.ts";

const { issuer, clientFor, authorize, signIn } = oidcTestKit();

describe("the ID token's verification (oidc-id-token.ts), through the OIDC relying party", () => {
  test("the ID token's algorithm must be one discovery lists (RS256 when it lists none), asymmetric only", async () => {
    // This issuer signs with RS256, and its document lists no algorithm: RS256 is the default.
    expect(await signIn({})).toMatchObject({ user: "alice@example.com" });
    const listing = async (algorithms: string[]) => {
      issuer().discovery = { id_token_signing_alg_values_supported: algorithms };
      try {
        return await signIn({});
      } finally {
        issuer().discovery = {};
      }
    };
    expect(await listing(["ES256"])).toContain(
      "the ID token was refused: it is signed with RS256, not ES256 (id_token_signing_alg_values_supported)",
    );
    // A symmetric algorithm would take the client secret for a key: never one for this gateway.
    expect(await listing(["HS256", "RS256"])).toMatchObject({ user: "alice@example.com" });
    issuer().discovery = { id_token_signing_alg_values_supported: ["HS256", "none"] };
    try {
      const refused = await clientFor()
        .start()
        .catch((e: unknown) => e);
      expect(refused instanceof OidcError ? [refused.kind, refused.message] : refused).toEqual([
        "unavailable",
        expect.stringContaining(
          "lists no asymmetric ID token signing algorithm (id_token_signing_alg_values_supported: HS256, none)",
        ),
      ]);
    } finally {
      issuer().discovery = {};
    }
  });

  test("a key the provider rotated to is read at once, a set read moments ago too; one it never publishes is refused", async () => {
    issuer().user = { sub: "u-1", email: "ops@example.com", groups: ["platform"] };
    const client = clientFor();
    const signInOnce = async () => {
      const { url, pending } = await client.start();
      const kind = (e: unknown) => (e instanceof OidcError ? [e.kind, e.message] : e);
      return client.finish(await authorize(url, pending), pending).then(kind, kind);
    };
    try {
      const signedIn = { user: "ops@example.com" };
      expect(await signInOnce()).toMatchObject(signedIn); // the JWKS read now: within jose's 30 s cooldown
      await issuer().rotateKey();
      expect(await signInOnce()).toMatchObject(signedIn);
      await issuer().rotateKey({ published: false });
      expect(await signInOnce()).toEqual([
        "refused",
        expect.stringMatching(
          /^the ID token was refused: its key \(kid key-[\w-]+\) is not in the provider's JWKS/,
        ),
      ]);
    } finally {
      await issuer().rotateKey();
    }
  });
});
