import { createHash } from "node:crypto";
import type { JWTPayload } from "jose";
import { z } from "zod";
import type { OidcConfig } from "../../config/admin-ui-config.ts";
import { httpsOrLoopback } from "../../config/https-or-loopback.ts";
import { ASYMMETRIC_ALGS } from "../../config/jwt-config.ts";
import {
  allowListAdmits,
  displayName,
  identityOf,
  type OidcIdentity,
  unverifiedEmail,
} from "./oidc-allow-list.ts";
import { OidcError, reasonOf } from "./oidc-error.ts";
import { idTokenVerifier } from "./oidc-id-token.ts";
import { notRedirected } from "./oidc-redirect.ts";
import { redeemCode } from "./oidc-token-request.ts";
import { randomToken } from "./session-store.ts";

export { OidcError, type OidcFailure } from "./oidc-error.ts";

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
});

/**
 * The algorithms an ID token may be signed with: those discovery lists (RS256 when it lists none,
 * OpenID Connect Discovery 3 and Core 3.1.3.7), public-key ones only: a symmetric one (HS256) is
 * keyed by the client secret (Core 10.1), which the provider does not hold alone and no JWKS
 * publishes, and `none` is no signature. A discovery document listing none of them is refused.
 */
function idTokenAlgorithms(meta: z.infer<typeof discoverySchema>, url: string): string[] {
  const listed = meta.id_token_signing_alg_values_supported ?? ["RS256"];
  const asymmetric = listed.filter((alg) => (ASYMMETRIC_ALGS as readonly string[]).includes(alg));
  if (asymmetric.length > 0) return asymmetric;
  throw new OidcError(
    `discovery at ${url} lists no asymmetric ID token signing algorithm (id_token_signing_alg_values_supported: ${listed.join(", ")}): the gateway verifies ${ASYMMETRIC_ALGS.join(", ")}`,
    "unavailable",
  );
}

/**
 * The endpoints a discovery document names that must be https off loopback, as the issuer must:
 * the browser is sent to one with the sign-in's state, the client secret and the code go to
 * another, and the third says whose signatures make an admin. Over plain http anyone on the way
 * could read or replace them.
 */
const ENDPOINTS = ["authorization_endpoint", "token_endpoint", "jwks_uri"] as const;

/** The first endpoint of the document on plain http off loopback, refused naming it; else nothing. */
function assertSecureEndpoints(meta: z.infer<typeof discoverySchema>, url: string): void {
  const plain = ENDPOINTS.find((field) => !httpsOrLoopback(meta[field]));
  if (plain === undefined) return;
  throw new OidcError(
    `discovery at ${url} names ${plain} ${meta[plain]}: it must be https (plain http only on loopback)`,
    "unavailable",
  );
}

/** What the browser must bring back to finish a sign-in, sealed into its cookie (login-seal.ts). */
export interface PendingLogin {
  readonly state: string;
  readonly verifier: string;
  readonly nonce: string;
}

/**
 * The relying party: discovery, authorization code with PKCE (S256) and a nonce, and the ID
 * token verified with jose against the provider's JWKS (issuer, audience and authorized party,
 * expiry and issue time within `clock_tolerance`, nonce).
 */
export function createOidcClient(config: OidcConfig, fetchImpl: typeof fetch = fetch) {
  let discovered: Promise<z.infer<typeof discoverySchema> & { idTokenAlgorithms: string[] }> | undefined;
  let verifyIdToken: ReturnType<typeof idTokenVerifier> | undefined;
  const metadata = () => {
    discovered ??= (async () => {
      const url = `${config.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
      const answer = await fetchImpl(url, {
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      }).catch((error: unknown) => {
        throw new OidcError(`discovery at ${url} failed: ${reasonOf(error)}`, "unavailable");
      });
      const response = notRedirected(
        answer,
        `discovery at ${url}`,
        "admin_ui.oidc.issuer must be the provider's issuer itself",
      );
      if (!response.ok) throw new OidcError(`discovery at ${url} answered ${response.status}`, "unavailable");
      const parsed = discoverySchema.safeParse(await response.json().catch(() => null));
      if (!parsed.success)
        throw new OidcError(`discovery at ${url} returned an invalid document`, "unavailable");
      if (parsed.data.issuer !== config.issuer) {
        throw new OidcError(
          `discovery at ${url} names issuer ${parsed.data.issuer}, not admin_ui.oidc.issuer ${config.issuer}`,
          "unavailable",
        );
      }
      assertSecureEndpoints(parsed.data, url);
      return { ...parsed.data, idTokenAlgorithms: idTokenAlgorithms(parsed.data, url) };
    })().catch((error: unknown) => {
      discovered = undefined; // a provider that was down is asked again next time
      throw error;
    });
    return discovered;
  };

  return {
    /** The provider's authorization URL for a fresh login, and what to keep until the callback. */
    async start(): Promise<{ url: string; pending: PendingLogin }> {
      const meta = await metadata();
      const pending = { state: randomToken(), verifier: randomToken(), nonce: randomToken() };
      const url = new URL(meta.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: "code",
        client_id: config.client_id,
        redirect_uri: config.redirect_url,
        scope: config.scopes.join(" "),
        state: pending.state,
        nonce: pending.nonce,
        code_challenge: createHash("sha256").update(pending.verifier).digest("base64url"),
        code_challenge_method: "S256",
      }).toString();
      return { url: url.toString(), pending };
    },

    /** Exchanges the code, verifies the ID token and applies the allow-list. Throws OidcError. */
    async finish(code: string, pending: PendingLogin): Promise<OidcIdentity> {
      const meta = await metadata();
      const idToken = await redeemCode(
        config,
        { url: meta.token_endpoint, authMethods: meta.token_endpoint_auth_methods_supported },
        code,
        pending,
        fetchImpl,
      );
      verifyIdToken ??= idTokenVerifier(
        config,
        { jwksUri: meta.jwks_uri, algorithms: meta.idTokenAlgorithms },
        fetchImpl,
      );
      const payload = await verifyIdToken(idToken);
      if (payload.nonce !== pending.nonce) throw new OidcError("the ID token's nonce does not match");
      checkAuthorizedParty(payload, config.client_id);
      return allowedUser(config, payload);
    },
  };
}

export type OidcClient = ReturnType<typeof createOidcClient>;

/**
 * OpenID Connect Core 3.1.3.7: a token for several audiences must name the party it was issued
 * to (`azp`), and that must be us; one issued to another client that merely lists us is refused.
 */
function checkAuthorizedParty(claims: JWTPayload, clientId: string): void {
  const several = Array.isArray(claims.aud) && claims.aud.length > 1;
  if (several && claims.azp === undefined)
    throw new OidcError("the ID token has several audiences and no azp");
  if (claims.azp !== undefined && claims.azp !== clientId) {
    throw new OidcError("the ID token was issued to another client (azp)");
  }
}

function allowedUser(config: OidcConfig, claims: JWTPayload): OidcIdentity {
  const subject = claims.sub;
  if (!subject) throw new OidcError("the ID token has no subject");
  const identity = identityOf(config, { ...claims, sub: subject });
  if (allowListAdmits(config, identity)) return identity;
  const unverified = unverifiedEmail(config, claims);
  throw new OidcError(
    unverified === null
      ? `${displayName(identity)} is not in allowed_users or allowed_groups`
      : `email ${unverified} not verified (email_verified), and subject ${subject} is not in allowed_users or allowed_groups`,
  );
}
