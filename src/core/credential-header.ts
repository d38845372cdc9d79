/**
 * A header whose value is a credential by its name (`Authorization`, `api-key`, `X-Goog-Api-Key`,
 * APIM's `Ocp-Apim-Subscription-Key`, `Cookie`, `X-Auth-Token`…); `Content-Type`, `anthropic-beta`
 * or `HTTP-Referer` say nothing secret, and their values are words an upstream's message uses
 * ("Content-Type must be application/json").
 */
const CREDENTIAL_HEADER = /authorization|cookie|key|token|secret|password|signature/i;

export const isCredentialHeader = (name: string): boolean => CREDENTIAL_HEADER.test(name);

/** Whether a provider's own `headers:` authenticate it (a header named as a credential, with a value). */
export const carriesCredential = (headers: Record<string, string> | undefined): boolean =>
  Object.entries(headers ?? {}).some(([name, value]) => value !== "" && isCredentialHeader(name));
