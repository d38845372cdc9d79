import type { JWTPayload } from "jose";
import { z } from "zod";
import type { OidcConfig } from "../../config/admin-ui-config.ts";

/**
 * Who signed in, as their verified ID token said: what the allow-list is checked against when
 * they sign in, and again on every request of their session (kept with it), so that an edit of
 * `allowed_users` or `allowed_groups` ends the sessions it no longer admits.
 */
export const oidcIdentitySchema = z.object({
  /** The provider that vouched for them (`iss`): a session ends when `admin_ui.oidc.issuer` changes. */
  issuer: z.string(),
  subject: z.string(),
  /** The `user_claim` value; an email only when the token said `email_verified: true`. */
  user: z.string().nullable(),
  groups: z.array(z.string()),
});
export type OidcIdentity = z.infer<typeof oidcIdentitySchema>;

/** The identity in a verified ID token's claims, `sub` included (the caller checked it is there). */
export function identityOf(config: OidcConfig, claims: JWTPayload & { sub: string }): OidcIdentity {
  const rawGroups = claims[config.groups_claim];
  return {
    // jose checked the token's `iss` is this.
    issuer: config.issuer,
    subject: claims.sub,
    user: userOf(config.user_claim, claims),
    groups: Array.isArray(rawGroups) ? rawGroups.filter((g): g is string => typeof g === "string") : [],
  };
}

/**
 * Whether the current allow-list lets this identity in: one the current issuer vouched for, by
 * subject (exactly), by user (an email without regard to ASCII case, local part included; any
 * other `user_claim` exactly), or by group. Nobody when single sign-on is off.
 */
export function allowListAdmits(config: OidcConfig | undefined, identity: OidcIdentity): boolean {
  if (!config || identity.issuer !== config.issuer) return false;
  const sameUser = config.user_claim === "email" ? sameEmail : (a: string, b: string) => a === b;
  const user = identity.user;
  return (
    config.allowed_users.includes(identity.subject) ||
    (user !== null && config.allowed_users.some((allowed) => sameUser(allowed, user))) ||
    identity.groups.some((group) => config.allowed_groups.includes(group))
  );
}

/**
 * Two emails alike but for ASCII case. Not `toLowerCase`, which folds the whole of Unicode: the
 * Kelvin sign (U+212A) would pass for `k`, so an address an IdP lets someone register could match
 * an allowed one it is not. The local part is folded too (RFC 5321 leaves its case to the mail
 * host, which in practice ignores it): `Alice@` and `alice@` are one user.
 */
const sameEmail = (a: string, b: string): boolean => asciiLower(a) === asciiLower(b);

const asciiLower = (text: string) => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

/** The email a token gives without `email_verified: true` (so it names nobody), for the log; else null. */
export function unverifiedEmail(config: OidcConfig, claims: JWTPayload): string | null {
  const email = claims.email;
  if (config.user_claim !== "email" || typeof email !== "string" || email === "") return null;
  return userOf(config.user_claim, claims) === null ? email : null;
}

/** The name a signed-in user is shown and audited under. */
export const displayName = (identity: OidcIdentity): string => identity.user ?? identity.subject;

function userOf(claim: string, claims: JWTPayload): string | null {
  const value = claims[claim];
  if (typeof value !== "string" || value === "") return null;
  // An unverified email is anyone's to type in at some providers (the "nOAuth" takeover): only
  // the boolean true counts, never an absent claim or the string "true"/"false".
  if (claim === "email" && claims.email_verified !== true) return null;
  return value;
}
