import { z } from "zod";
import type { OidcConfig } from "../../config/admin-ui-config.ts";
import type { PendingLogin } from "./oidc-client.ts";
import { OidcError, reasonOf } from "./oidc-error.ts";
import { notRedirected } from "./oidc-redirect.ts";

const tokenSchema = z.object({ id_token: z.string().min(1) });
/** RFC 6749 5.2: what a token endpoint says when it refuses. */
const refusalSchema = z.object({ error: z.string(), error_description: z.string().optional() });

/** The token endpoint's errors that are the gateway's client registration's, not the user's. */
const CLIENT_ERRORS = new Set(["invalid_client", "unauthorized_client"]);

export interface TokenEndpoint {
  readonly url: string;
  readonly authMethods: readonly string[] | undefined;
}

/**
 * Exchanges an authorization code for the ID token (with the PKCE verifier, and the client secret
 * the way the provider takes it). Throws OidcError: `unavailable` when the endpoint cannot be
 * reached, answers a 5xx or a redirect (never followed), or refuses the client itself (a 401,
 * `invalid_client`); `refused` for a
 * refusal of this code (`invalid_grant`). The endpoint's own `error` and `error_description` are
 * in the message, for the log.
 */
export async function redeemCode(
  config: OidcConfig,
  endpoint: TokenEndpoint,
  code: string,
  pending: PendingLogin,
  fetchImpl: typeof fetch,
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: config.redirect_url,
    code_verifier: pending.verifier,
    client_id: config.client_id,
  });
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (config.client_secret) {
    const methods = endpoint.authMethods ?? ["client_secret_basic"];
    if (methods.includes("client_secret_basic")) {
      const basic = `${encodeURIComponent(config.client_id)}:${encodeURIComponent(config.client_secret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
    } else form.set("client_secret", config.client_secret);
  }
  const response = await fetchImpl(endpoint.url, {
    method: "POST",
    headers,
    body: form,
    // A redirect followed would send the code, the verifier (and a client_secret_post secret)
    // again to wherever it points, plain http included: the token endpoint is the one named.
    redirect: "manual",
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new OidcError(`the token endpoint could not be reached: ${reasonOf(error)}`, "unavailable");
  });
  notRedirected(response, "the token endpoint", "the discovery document must name the token endpoint itself");
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw refusalOf(response.status, body);
  const token = tokenSchema.safeParse(body);
  if (!token.success) throw new OidcError("the token endpoint returned no id_token", "unavailable");
  return token.data.id_token;
}

function refusalOf(status: number, body: unknown): OidcError {
  const refusal = refusalSchema.safeParse(body);
  const said = refusal.success
    ? `: ${refusal.data.error}${refusal.data.error_description ? ` (${refusal.data.error_description})` : ""}`
    : "";
  const ours = status >= 500 || status === 401 || (refusal.success && CLIENT_ERRORS.has(refusal.data.error));
  return new OidcError(`the token endpoint answered ${status}${said}`, ours ? "unavailable" : "refused");
}
