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
 * A token request: where it goes and how, and who answers it in a failure's words ("the token
 * endpoint", "Azure IMDS"): never a host or a path, which stay with the log.
 */
export interface TokenRequest {
  url: string;
  init: Pick<RequestInit, "method" | "headers" | "body">;
  what: string;
  /** How long the endpoint may take (default 30 s). */
  timeoutMs?: number;
}

/** Reads a token from an endpoint's JSON answer; for an answer without one, what it lacks ("no access_token"). */
export type ReadToken = (reply: unknown, now: number) => Expiring<string> | string;

/**
 * Sends a token request and reads its answer with `read`: the one place an OAuth 2.0 token
 * endpoint, a managed identity endpoint (IMDS, App Service) and their failures are read. A failure
 * is a retryable 502 naming the provider, never the secret; a 429's or 503's `Retry-After` is kept
 * for the backoff (credential-failure.ts).
 */
export async function requestToken(
  provider: string,
  request: TokenRequest,
  read: ReadToken,
  doFetch: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<Expiring<string>> {
  const { what } = request;
  let response: Response;
  try {
    response = await doFetch(request.url, {
      ...request.init,
      signal: AbortSignal.timeout(request.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw credentialFailure(provider, withWhy(`${what} could not be reached`, error), { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw refusal(provider, what, response, text, now());
  let token: Expiring<string> | string;
  try {
    token = read(JSON.parse(text), now());
  } catch {
    token = "no access_token";
  }
  if (typeof token === "string") throw credentialFailure(provider, `${what} sent ${token}`);
  return token;
}

/**
 * POSTs an OAuth 2.0 token request (form-encoded, as RFC 6749 wants) and reads
 * `access_token`/`expires_in`. Shared by Entra ID (client secret, workload identity) and Google's
 * JWT bearer grant.
 */
export function fetchOAuthToken(
  provider: string,
  url: string,
  form: Record<string, string>,
  doFetch: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<Expiring<string>> {
  const request: TokenRequest = {
    url,
    what: "the token endpoint",
    init: {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams(form).toString(),
    },
  };
  return requestToken(provider, request, readOAuthToken, doFetch, now);
}

/**
 * The `access_token` of a token answer's text (an OAuth token endpoint's, or Google's metadata
 * server's, which has the same shape), valid for its `expires_in` seconds from `now` (an hour when
 * unsaid). `what` names the endpoint in the failure of an answer without one.
 */
export function accessToken(provider: string, text: string, now: number, what: string): Expiring<string> {
  let token: Expiring<string> | string;
  try {
    token = readOAuthToken(JSON.parse(text), now);
  } catch {
    token = "no access_token";
  }
  if (typeof token === "string") throw credentialFailure(provider, `${what} sent ${token}`);
  return token;
}

const readOAuthToken: ReadToken = (reply, now) => {
  const parsed = tokenReply.safeParse(reply);
  if (!parsed.success) return "no access_token";
  const seconds = Number(parsed.data.expires_in ?? 3600);
  return {
    value: parsed.data.access_token,
    expiresAt: now + (Number.isFinite(seconds) ? seconds : 3600) * 1000,
  };
};

/** An OAuth 2.0 error answer (RFC 6749 §5.2): Google's and Entra ID's token endpoints send it, and Azure IMDS. */
const oauthError = z.object({ error: z.string().min(1), error_description: z.string().optional() });

/**
 * An endpoint that refused: its status and OAuth `error` code (`invalid_grant`,
 * `invalid_client`) for whoever reads the failure; its `error_description` for the log alone
 * (`detail`), which may name the gateway's account (Entra ID's words quote the app's id, Google's a
 * service account): the operator's to read, as said, cut to a line's length (the log redacts a
 * credential it quotes). A 429's or 503's `Retry-After` is waited out before the next try.
 */
function refusal(
  provider: string,
  what: string,
  response: Response,
  text: string,
  now: number,
): GatewayError {
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
    `${what} answered ${status}${code}`,
    description ? { detail: cutWords(description) } : {},
    statedWait(response, now),
  );
}

/** An OAuth error code as RFC 6749 writes them (`invalid_grant`): a word, bounded. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
