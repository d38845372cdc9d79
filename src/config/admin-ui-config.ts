import { z } from "zod";
import { configUrl } from "./config-url.ts";
import { bool, duration, durationWithFloor, num } from "./config-values.ts";
import { httpsOrLoopback } from "./https-or-loopback.ts";

const secureUrl = (what: string) =>
  configUrl().refine(httpsOrLoopback, {
    message: `${what} must be https (plain http only on loopback)`,
  });

/** The path the identity provider sends the browser back to; `redirect_url` must point here. */
export const OIDC_CALLBACK_PATH = "/admin/auth/callback";

/**
 * `admin_ui.oidc`: single sign-on through any OpenID Connect provider. Who may sign in is an
 * allow-list (users by email or subject, or groups from the ID token); everyone allowed is an admin.
 */
export const oidcConfigSchema = z
  .strictObject({
    /** Where `/.well-known/openid-configuration` is found. */
    issuer: secureUrl("issuer"),
    client_id: z.string().min(1),
    /** Omit for a public client (PKCE only). */
    client_secret: z.string().min(1).optional(),
    /** This gateway's callback as registered with the provider: `https://<host>/admin/auth/callback`. */
    redirect_url: secureUrl("redirect_url").refine((u) => new URL(u).pathname === OIDC_CALLBACK_PATH, {
      message: `redirect_url must end in ${OIDC_CALLBACK_PATH}`,
    }),
    scopes: z.array(z.string().min(1)).default(["openid", "email", "profile"]),
    /** Users that may sign in: values of `user_claim` (verified emails by default) or `sub`. */
    allowed_users: z.array(z.string().min(1)).default([]),
    /**
     * The ID token claim `allowed_users` names users by, besides `sub`. `email` (the default)
     * counts only when the token also says `email_verified: true`. Any other claim (Entra ID's
     * `preferred_username`) is taken as the provider states it: name one only for an issuer whose
     * every account is yours (a single tenant's), as no provider verifies it.
     */
    user_claim: z.string().min(1).default("email"),
    /** Groups (from `groups_claim` in the ID token) whose members may sign in. */
    allowed_groups: z.array(z.string().min(1)).default([]),
    groups_claim: z.string().min(1).default("groups"),
    /**
     * How far the provider's clock may be from ours when the ID token's `iat` and `exp` are
     * checked (as `auth.jwt.clock_tolerance` for access tokens).
     */
    clock_tolerance: duration("30s"),
  })
  .refine((oidc) => oidc.allowed_users.length > 0 || oidc.allowed_groups.length > 0, {
    message: "name at least one of allowed_users or allowed_groups (nobody would be let in)",
  });

/** `admin_ui`: the web control plane at `/admin`. */
export const adminUiConfigSchema = z.strictObject({
  enabled: bool().default(true),
  /** How long a sign-in lasts; the session ends earlier on sign-out or when its key is revoked. */
  session_ttl: duration("12h", "a sign-in would end as it began"),
  /**
   * A session not used for this long ends (OWASP's idle timeout; NIST SP 800-63B asks 30 minutes of
   * inactivity at AAL2, hence the default). Use is the console's calls made after a keystroke or
   * click in it (the page says so in `x-user-activity`), never its own polling, which would keep an
   * unattended screen signed in. Last use is stored at most once a minute, so a session ends up
   * to a minute early; hence the floor. A wall screen left on the Overview: set it to
   * `session_ttl`, or to 7d (its most) when `session_ttl` is longer.
   */
  session_idle_timeout: durationWithFloor("30m").pipe(
    z
      .number()
      .min(
        120_000,
        "at least 2m: last use is stored at most once a minute, so a session may end a minute early",
      )
      .max(
        7 * 86_400_000,
        "at most 7d (for a wall screen, set it to session_ttl, or to 7d when session_ttl is longer)",
      ),
  ),
  /**
   * Sign-in steps one client address (an IPv6 address by its /64) may take in a minute, on each
   * node: an admin-key login is one, counted before its key is checked (a guesser's tries); a
   * single sign-on is two (its start and its callback), so at 20 an office behind one address
   * signs in ten times a minute. Neither step carries a credential, and each
   * may cost a call to the provider (its discovery or JWKS, its token endpoint for a callback with
   * a sign-in pending, which anyone can have by starting one). Read at each step.
   */
  sign_in_per_minute: num(z.number().int().positive()).default(20),
  oidc: oidcConfigSchema.optional(),
});

export type AdminUiConfig = z.infer<typeof adminUiConfigSchema>;
export type OidcConfig = z.infer<typeof oidcConfigSchema>;
