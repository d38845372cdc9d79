import { holdCredentials } from "../../core/credentials.ts";
import { credentialFailure } from "../credentials/credential-failure.ts";
import { fetchText } from "../credentials/fetch-token.ts";
import type { CredentialSource } from "./external-account.ts";

/**
 * The subject token an external_account exchanges, read afresh for each exchange (a projected
 * Kubernetes token rotates), as google-auth-library's File- and UrlSubjectTokenSupplier read it:
 * a file's text, or a URL's answer to a GET with the file's `headers`; the whole text as it is
 * (`format.type` text, the default), or the string in `subject_token_field_name` of its JSON. A
 * failure never names the path or the URL (the log has neither either: a path names its user).
 */
export async function subjectToken(
  provider: string,
  source: CredentialSource,
  doFetch: typeof fetch,
  now: () => number,
): Promise<string> {
  const where = source.url ? "the credential_source URL" : "the credential_source file";
  let text: string;
  if (source.url) {
    text = await fetchText(
      provider,
      {
        url: source.url,
        init: { method: "GET", headers: source.headers ?? {} },
        what: where,
        direct: onHost(source.url),
      },
      doFetch,
      now,
    );
  } else {
    try {
      text = await Bun.file(source.file ?? "").text();
    } catch (error) {
      const absent = (error as NodeJS.ErrnoException).code === "ENOENT";
      throw credentialFailure(provider, `${where} ${absent ? "does not exist" : "cannot be read"}`);
    }
  }
  const field = source.format?.subject_token_field_name;
  const token = source.format?.type === "json" && field ? fieldOf(text, field) : text;
  if (token) {
    holdSubjectToken(source, token);
    return token;
  }
  const inField = source.format?.type === "json" ? ` in its '${field}' field` : "";
  throw credentialFailure(provider, `${where} ${source.url ? "sent" : "holds"} no subject token${inField}`);
}

/** By credential_source (its file or URL), a holder for core/credentials.ts and the token it holds. */
const held = new Map<string, { readonly holder: object; token: string }>();

/**
 * The subject token, taken out of what the gateway tells and writes from the moment it is read, as
 * a credentials file's secrets are (vertex-token.ts): an STS or IdP refusal may quote it, and one
 * of no known shape (an opaque OIDC token, a SAML assertion) would otherwise reach the access
 * line's `detail` and the refresh's warning. Each source's token replaces its last (a projected
 * token rotates); held anew only when it changed, the search being rebuilt on each.
 */
function holdSubjectToken(source: CredentialSource, token: string): void {
  const key = source.url ?? source.file ?? "";
  let entry = held.get(key);
  if (entry?.token === token) return;
  entry ??= { holder: {}, token };
  entry.token = token;
  held.set(key, entry);
  holdCredentials(entry.holder, [token]);
}

const fieldOf = (text: string, field: string): string | undefined => {
  try {
    const json: unknown = JSON.parse(text);
    const value =
      typeof json === "object" && json !== null ? (json as Record<string, unknown>)[field] : undefined;
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
};

/**
 * A URL on the host or its link-local network (Azure IMDS, an emulator): asked straight, never
 * through a proxy, which would answer for it or be handed its token (fetch-token.ts's `direct`).
 */
const onHost = (url: string): boolean => {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "[::1]" || /^(127\.|169\.254\.)/.test(host);
};
