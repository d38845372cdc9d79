import { createHash } from "node:crypto";
import type { createRemoteJWKSet, JWTPayload } from "jose";
import { z } from "zod";
import type { OidcConfig } from "../../config/admin-ui-config.ts";
import { allowListAdmits, displayName, identityOf, type OidcIdentity } from "./oidc-allow-list.ts";
import { randomToken } from "./session-store.ts";

const discoverySchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});
const tokenSchema = z.object({ id_token: z.string().min(1) });

/** What the browser must bring back to finish a sign-in, sealed into its cookie (login-seal.ts). */
export interface PendingLogin {
  readonly state: string;
  readonly verifier: string;
  readonly nonce: string;
}

export class OidcError extends Error {
  override readonly name = "OidcError";
}

/**
 * The relying party: discovery, authorization code with PKCE (S256) and a nonce, and the ID
 * token verified with jose against the provider's JWKS (issuer, audience and authorized party,
 * expiry, nonce).
 */
export function createOidcClient(config: OidcConfig, fetchImpl: typeof fetch = fetch) {
  let discovered: Promise<z.infer<typeof discoverySchema>> | undefined;
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  const metadata = () => {
    discovered ??= (async () => {
      const url = `${config.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
      const response = await fetchImpl(url, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new OidcError(`discovery at ${url} answered ${response.status}`);
      const parsed = discoverySchema.safeParse(await response.json());
      if (!parsed.success) throw new OidcError(`discovery at ${url} returned an invalid document`);
      if (parsed.data.issuer !== config.issuer) throw new OidcError("discovery names another issuer");
      return parsed.data;
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
      const form = new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: config.redirect_url,
        code_verifier: pending.verifier,
        client_id: config.client_id,
      });
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
      if (config.client_secret) {
        const methods = meta.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
        if (methods.includes("client_secret_basic")) {
          const basic = `${encodeURIComponent(config.client_id)}:${encodeURIComponent(config.client_secret)}`;
          headers.authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
        } else form.set("client_secret", config.client_secret);
      }
      const response = await fetchImpl(meta.token_endpoint, {
        method: "POST",
        headers,
        body: form,
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new OidcError(`the token endpoint answered ${response.status}`);
      const token = tokenSchema.safeParse(await response.json().catch(() => null));
      if (!token.success) throw new OidcError("the token endpoint returned no id_token");
      // jose is loaded on the first sign-in, not at start (docs/BENCHMARKS-HISTORY.md, idle RSS).
      const { createRemoteJWKSet, jwtVerify } = require("jose") as typeof import("jose");
      jwks ??= createRemoteJWKSet(new URL(meta.jwks_uri));
      const { payload } = await jwtVerify(token.data.id_token, jwks, {
        issuer: config.issuer,
        audience: config.client_id,
        maxTokenAge: "10m",
      }).catch((error: unknown) => {
        throw new OidcError(
          `the ID token was refused: ${error instanceof Error ? error.message : "invalid"}`,
        );
      });
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
  if (!allowListAdmits(config, identity)) {
    throw new OidcError(`${displayName(identity)} is not in allowed_users or allowed_groups`);
  }
  return identity;
}
