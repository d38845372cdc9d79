import { z } from "zod";
import { GatewayError } from "../../core/gateway-error.ts";
import { upstreamName } from "../upstream-name.ts";
import type { Expiring } from "./cached-credential.ts";

const tokenReply = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string()]).optional(),
});

/**
 * POSTs an OAuth 2.0 token request (form-encoded, as RFC 6749 wants) and reads
 * `access_token`/`expires_in`. Shared by Entra ID client credentials and Google's JWT bearer
 * grant. A failure is a retryable 502 naming the provider, never the secret.
 */
export async function fetchOAuthToken(
  provider: string,
  url: string,
  form: Record<string, string>,
  doFetch: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<Expiring<string>> {
  let response: Response;
  try {
    response = await doFetch(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw credentialFailure(provider, "the token endpoint could not be reached");
  }
  const text = await response.text();
  if (!response.ok) throw credentialFailure(provider, `the token endpoint answered ${response.status}`);
  let parsed: z.infer<typeof tokenReply>;
  try {
    parsed = tokenReply.parse(JSON.parse(text));
  } catch {
    throw credentialFailure(provider, "the token endpoint sent no access_token");
  }
  const seconds = Number(parsed.expires_in ?? 3600);
  return {
    value: parsed.access_token,
    expiresAt: now() + (Number.isFinite(seconds) ? seconds : 3600) * 1000,
  };
}

/** The gateway could not obtain credentials for an upstream: its fault, worth another route. */
export const credentialFailure = (provider: string, why: string) =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `could not get credentials for ${upstreamName(provider)}: ${why}`,
    retryable: true,
  });
