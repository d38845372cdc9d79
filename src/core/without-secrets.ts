import { withoutCredentials } from "./credentials.ts";

/**
 * A connection URL's password (`postgres://app:hunter2@db`, `redis://:pw@cache`): a driver's error
 * may quote the URL it was given.
 */
const URL_PASSWORD = /(\/\/[^/\s:@]*):[^@\s/]+@/g;

/**
 * A sign-in's `code` and `state` in a URL's query or fragment (an OIDC callback's, which an
 * identity provider's or a fetch's error may quote): whatever their shape, they are the
 * provider's, so they are redacted whole. `code` elsewhere is a word ("error code=42").
 */
const QUERY_CODE = /([?&#](?:code|state)=)[^&#\s"'<>]+/gi;

/**
 * The names a value is a secret by, alone or as the last part of a compound (`DB_PASSWORD`,
 * `client_secret`, `refresh_token`, `x-api-key`): never part of a longer word (`max_tokens`). The
 * match starts at the name itself, what comes before it left to the text (a pattern that read the
 * compound's parts, `(?:[A-Za-z0-9]+[_-])*`, took time in the square of a text like "a_a_a_…").
 */
const SECRET_NAME = `(?<![A-Za-z0-9])(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|authorization)(?![A-Za-z0-9])`;

/**
 * A value as it follows its name: quoted (spaces and all), or up to the next delimiter or bracket
 * (never into `[redacted]`: text redacted once is redacted again as it is).
 */
const VALUE = String.raw`(?:"[^"\n]*"|'[^'\n]*'|[^\s"',;&})[\]]+)`;

/**
 * A value an error's text names as a secret: `name=value`, `"name": value`, `name: value`. Its
 * value is redacted only when it looks like a credential (`looksLikeCredential`), so the words of
 * a message are kept ("invalid token: signature mismatch", "providers[1].api_key: Required").
 */
const NAMED_SECRET = new RegExp(String.raw`(["']?${SECRET_NAME}["']?\s*[:=]\s*)(${VALUE})`, "gi");

/** `Authorization: <scheme> <credential>` (Basic, Digest, …): the scheme is kept, the credential is not. */
const AUTHORIZATION = /(authorization["']?\s*[:=]\s*["']?[A-Za-z][A-Za-z0-9-]*\s+)([A-Za-z0-9._~+/=-]+)/gi;

/**
 * Whether a value could be a credential: six characters or more, not a word of letters alone
 * ("Required", "none", "expected"), not a number (a count, a port), not a path (`pwd=/var/lib/app`).
 */
function looksLikeCredential(quotedOrNot: string): boolean {
  const value = /^["'].*["']$/.test(quotedOrNot) ? quotedOrNot.slice(1, -1) : quotedOrNot;
  if (value.length < 6 || value === "[redacted]") return false;
  return !/^(?:[A-Za-z]+|[0-9]+|[./~][^\s]*)$/.test(value);
}

/** The credential replaced, its quotes kept. */
const redacted = (value: string): string => {
  const quote = value[0] === '"' || value[0] === "'" ? value[0] : "";
  return `${quote}[redacted]${quote}`;
};

/**
 * An error's text as the gateway writes it down: no credential, one of the gateway's own or one of
 * a known shape (credentials.ts), in a URL (its password, a sign-in's code and state) or by its name. For error text only: in a prompt, such
 * words are the caller's prose.
 */
export const withoutSecrets = (text: string): string =>
  withoutCredentials(text)
    .replace(URL_PASSWORD, "$1:[redacted]@")
    .replace(QUERY_CODE, "$1[redacted]")
    .replace(AUTHORIZATION, (whole, head: string, credential: string) =>
      looksLikeCredential(credential) ? `${head}[redacted]` : whole,
    )
    .replace(NAMED_SECRET, (whole, head: string, value: string) =>
      looksLikeCredential(value) ? `${head}${redacted(value)}` : whole,
    );
