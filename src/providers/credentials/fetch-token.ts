import { z } from "zod";
import { cutWords } from "../../core/cut-words.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { withWhy } from "../../core/why-unreachable.ts";
import type { Expiring } from "./cached-credential.ts";
import { credentialFailure, statedWait } from "./credential-failure.ts";

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
  } catch (error) {
    throw credentialFailure(provider, withWhy("the token endpoint could not be reached", error), {
      cause: error,
    });
  }
  const text = await response.text();
  if (!response.ok) throw refusal(provider, response, text, now());
  return accessToken(provider, text, now(), "the token endpoint");
}

/**
 * The `access_token` of a token answer (an OAuth token endpoint's, or Google's metadata server's,
 * which has the same shape), valid for its `expires_in` seconds from `now` (an hour when unsaid).
 * `what` names the endpoint in the failure of an answer without one.
 */
export function accessToken(provider: string, text: string, now: number, what: string): Expiring<string> {
  let parsed: z.infer<typeof tokenReply>;
  try {
    parsed = tokenReply.parse(JSON.parse(text));
  } catch {
    throw credentialFailure(provider, `${what} sent no access_token`);
  }
  const seconds = Number(parsed.expires_in ?? 3600);
  return {
    value: parsed.access_token,
    expiresAt: now + (Number.isFinite(seconds) ? seconds : 3600) * 1000,
  };
}

/** An OAuth 2.0 error answer (RFC 6749 §5.2): Google's and Entra ID's token endpoints send it. */
const oauthError = z.object({ error: z.string().min(1), error_description: z.string().optional() });

/**
 * A token endpoint that refused: its status and OAuth `error` code (`invalid_grant`,
 * `invalid_client`) for whoever reads the failure; its `error_description` for the log alone
 * (`detail`), which may name the gateway's account (Entra ID's words quote the app's id, Google's a
 * service account): the operator's to read, as said, cut to a line's length (the log redacts a
 * credential it quotes). A 429's or 503's `Retry-After` is waited out before the next try.
 */
function refusal(provider: string, response: Response, text: string, now: number): GatewayError {
  const { status } = response;
  let said: z.infer<typeof oauthError> | undefined;
  try {
    said = oauthError.safeParse(JSON.parse(text)).data;
  } catch {
    said = undefined;
  }
  const code = said && CODE.test(said.error) ? `: ${said.error}` : "";
  const description = said?.error_description;
  return credentialFailure(
    provider,
    `the token endpoint answered ${status}${code}`,
    description ? { detail: cutWords(description) } : {},
    statedWait(response, now),
  );
}

/** An OAuth error code as RFC 6749 writes them (`invalid_grant`): a word, bounded. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
