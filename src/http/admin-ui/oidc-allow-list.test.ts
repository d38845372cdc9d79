import { describe, expect, test } from "bun:test";
import { oidcConfigSchema } from "../../config/admin-ui-config.ts";
import { allowListAdmits, type OidcIdentity } from "./oidc-allow-list.ts";

const config = (overrides: object = {}) =>
  oidcConfigSchema.parse({
    issuer: "https://idp.example.com",
    client_id: "mindgw",
    redirect_url: "https://gw.example.com/admin/auth/callback",
    allowed_users: ["Alice@Example.com", "u-7"],
    ...overrides,
  });
const alice: OidcIdentity = {
  issuer: "https://idp.example.com",
  subject: "u-1",
  user: "alice@example.com",
  groups: [],
};

describe("allowListAdmits", () => {
  test("an email is matched without regard to case; a subject exactly", () => {
    expect(allowListAdmits(config(), alice)).toBe(true);
    expect(allowListAdmits(config(), { ...alice, user: "ALICE@EXAMPLE.COM" })).toBe(true);
    expect(allowListAdmits(config(), { ...alice, user: null, subject: "u-7" })).toBe(true);
    expect(allowListAdmits(config(), { ...alice, user: null, subject: "U-7" })).toBe(false);
    // Another user claim than email is taken as stated, case and all.
    expect(allowListAdmits(config({ user_claim: "preferred_username" }), alice)).toBe(false);
  });

  test("an email's case is folded in ASCII alone: a Unicode look-alike (the Kelvin sign for k) is another user", () => {
    const kate = config({ allowed_users: ["kate@corp.com", "sam@corp.com"] });
    expect(allowListAdmits(kate, { ...alice, user: "Kate@Corp.COM" })).toBe(true);
    expect(allowListAdmits(kate, { ...alice, user: "\u212Aate@corp.com" })).toBe(false);
    expect(allowListAdmits(kate, { ...alice, user: "\u017Fam@corp.com" })).toBe(false); // long s
  });

  test("only an identity the current issuer vouched for: a change of issuer admits none of the old one's", () => {
    const admitted = { ...alice, subject: "u-7" };
    expect(allowListAdmits(config(), admitted)).toBe(true);
    expect(allowListAdmits(config({ issuer: "https://other-idp.example.com" }), admitted)).toBe(false);
    expect(allowListAdmits(undefined, admitted)).toBe(false);
  });
});
