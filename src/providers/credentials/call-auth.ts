import type { CachedCredential } from "./cached-credential.ts";

/** The auth headers of one upstream call, for a provider whose credentials are fetched, not static. */
export interface CallAuth {
  /** Headers for one call (a cached bearer token). */
  headers(): Promise<Record<string, string>>;
  /**
   * The upstream refused a call sent with `sent` (401): a token among them is not used again.
   * True when a fresh one is worth a second try.
   */
  refused(sent: Record<string, string>): boolean;
}

/** What a refreshable token is to a call: fetched (cached), and dropped once refused. */
export interface TokenSource extends Pick<CachedCredential<string>, "get" | "invalidate"> {
  /**
   * Headers sent beside the token, read once `get` has answered: what the credentials say of the
   * call (Google's quota project, `x-goog-user-project`).
   */
  beside?: () => Record<string, string>;
}

const BEARER = "Bearer ";

/** A static key (or none): nothing to refresh. */
export const staticAuth = (headers: Record<string, string>): CallAuth => ({
  headers: async () => headers,
  refused: () => false,
});

/** A bearer token from a cached credential (Vertex AI's service account, Entra ID). */
export function bearerAuth(token: TokenSource): CallAuth {
  return {
    headers: async () => {
      const value = await token.get();
      return { ...token.beside?.(), authorization: BEARER + value };
    },
    refused: (sent) => {
      const value = sent.authorization;
      return value?.startsWith(BEARER) === true && token.invalidate(value.slice(BEARER.length));
    },
  };
}

/**
 * What a send hands back, by its status: a `Response`, or the lean client's whole answer (a
 * refusal among them, on plain http) or successful stream feed, neither of which is one.
 */
export interface Answered {
  readonly status: number;
}

/**
 * Sends a call with `auth`'s headers; when the upstream answers 401 (a token revoked, its account
 * disabled, Google's ACCESS_TOKEN_EXPIRED before the cache's own expiry), the token is dropped
 * and the call sent once more with a fresh one, before the router hears of any failure.
 * `answerOf`: what carries the status of an answer that wraps it (a same-dialect reply).
 */
export function sendAuthorized<R extends Answered>(
  auth: CallAuth,
  send: (headers: Record<string, string>) => Promise<R>,
): Promise<R>;
export function sendAuthorized<R>(
  auth: CallAuth,
  send: (headers: Record<string, string>) => Promise<R>,
  answerOf: (answer: R) => Answered,
): Promise<R>;
export async function sendAuthorized<R>(
  auth: CallAuth,
  send: (headers: Record<string, string>) => Promise<R>,
  answerOf?: (answer: R) => Answered,
): Promise<R> {
  const sent = await auth.headers();
  const answer = await send(sent);
  // Without `answerOf`, the answer has its status itself (the first signature).
  const answered = answerOf ? answerOf(answer) : (answer as Answered);
  if (answered.status !== 401 || !auth.refused(sent)) return answer;
  if (answered instanceof Response) await answered.body?.cancel().catch(() => {});
  return send(await auth.headers());
}
