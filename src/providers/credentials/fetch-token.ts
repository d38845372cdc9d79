import { z } from "zod";
import { cutWords } from "../../core/cut-words.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { isRedirectStatus, redirectNotFollowed } from "../../core/redirect-words.ts";
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
  /**
   * A metadata or identity endpoint on the host or its link-local network (Google's metadata
   * server, Azure IMDS, App Service's IDENTITY_ENDPOINT, AWS's instance metadata and container
   * endpoint): sent straight to it, never through a proxy. Bun's fetch sends a plain-http URL
   * through HTTP_PROXY, and an enterprise proxy would answer for them, or be handed their secrets.
   */
  direct?: boolean;
}

/** What an endpoint's answer is checked for, and its failures said in, beyond what every endpoint shares. */
export interface Reading {
  /**
   * Checked before the status: why the answer is not the endpoint's own (a proxy's 403 or 404, a
   * captive portal's page), or undefined when it is.
   */
  vouch?: (response: Response) => string | undefined;
  /**
   * The endpoint's own words for a status and the answer's text (the metadata server's 403 and
   * 404, AWS Sign-In's error codes); undefined: the shared ones.
   */
  refused?: (status: number, text: string) => string | undefined;
  /** How a request that got no answer at all is said (the metadata server never found: what else was tried). */
  unanswered?: (why: string) => string;
  /** For the log alone: where the endpoint was looked for (the metadata server's origin). */
  detail?: string;
}

/** Reads a token from an endpoint's JSON answer; for an answer without one, what it lacks ("no access_token"). */
export type ReadToken = (reply: unknown, now: number) => Expiring<string> | string;

/**
 * Sends a credential request and answers the text of its answer: the one place a token endpoint,
 * a metadata or managed identity endpoint (IMDS, App Service, the metadata server), STS and AWS's
 * container endpoint are called and their failures said. A failure is a retryable 502 naming the
 * provider, never the secret: no answer ("could not be reached: …", or "did not answer within N s"),
 * an answer `reading.vouch` disowns, or a status (its OAuth error code said, a 429's or 503's
 * `Retry-After` kept for the backoff: credential-failure.ts).
 */
export async function fetchText(
  provider: string,
  request: TokenRequest,
  doFetch: typeof fetch = fetch,
  now: () => number = Date.now,
  reading: Reading = {},
): Promise<string> {
  const { what } = request;
  const timeoutMs = request.timeoutMs ?? 30_000;
  const detail = reading.detail === undefined ? {} : { detail: reading.detail };
  let response: Response;
  try {
    response = await doFetch(request.url, {
      ...request.init,
      ...(request.direct ? { proxy: false } : {}),
      // Never followed: a 307 or 308 would send the client secret or signed assertion on to
      // wherever it points (upstream-redirect.ts).
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const why = timedOut(error)
      ? `${what} did not answer within ${timeoutMs / 1000} s`
      : withWhy(`${what} could not be reached`, error);
    throw credentialFailure(provider, reading.unanswered?.(why) ?? why, { cause: error, ...detail });
  }
  const text = await response.text();
  const disowned = reading.vouch?.(response);
  if (disowned !== undefined) throw credentialFailure(provider, disowned, detail);
  if (isRedirectStatus(response.status)) {
    const answered = redirectNotFollowed(response.status, response.headers.get("location"));
    throw credentialFailure(provider, `${what} ${answered}`, detail);
  }
  if (!response.ok)
    throw refusal(provider, what, response, text, now(), reading.refused?.(response.status, text));
  return text;
}

/** A fetch given up by its `AbortSignal.timeout` (a DOMException named TimeoutError, in Bun as in browsers). */
export const timedOut = (error: unknown): boolean =>
  typeof error === "object" && error !== null && "name" in error && error.name === "TimeoutError";

/** Sends a token request (`fetchText`) and reads its answer's token with `read`. */
export async function requestToken(
  provider: string,
  request: TokenRequest,
  read: ReadToken = readOAuthToken,
  doFetch: typeof fetch = fetch,
  now: () => number = Date.now,
  reading: Reading = {},
): Promise<Expiring<string>> {
  const text = await fetchText(provider, request, doFetch, now, reading);
  let token: Expiring<string> | string;
  try {
    token = read(JSON.parse(text), now());
  } catch {
    token = "no access_token";
  }
  if (typeof token === "string") throw credentialFailure(provider, `${request.what} sent ${token}`);
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
 * An OAuth token answer's `access_token` (a token endpoint's, or Google's metadata server's, which
 * has the same shape), valid for its `expires_in` seconds from `now` (an hour when unsaid).
 */
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
  ownWords: string | undefined,
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
    ownWords ?? `${what} answered ${status}${code}`,
    description ? { detail: cutWords(description) } : {},
    statedWait(response, now),
    status,
  );
}

/** An OAuth error code as RFC 6749 writes them (`invalid_grant`): a word, bounded. */
const CODE = /^[a-z][a-z0-9_]{0,63}$/;
