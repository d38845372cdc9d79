import type { Config } from "./config-schema.ts";

/** Config fields whose value is a credential, by their names. */
export const SECRET_KEYS =
  /(api_key|secret|password|token|authorization|secret_access_key|service_account)$/i;
// Any URL (base_url, storage.url, a JWKS URL) may carry credentials: `user:pass@` or `?api-key=`.
const URL_USERINFO = /(\w+:\/\/)[^@/?#\s]*@/g;
const URL_SECRET_PARAM = /([?&][\w.-]*(?:key|token|secret|sig|signature|password)[\w.-]*=)[^&#\s]*/gi;

export const redactUrl = (value: string): string =>
  value.replace(URL_USERINFO, "$1[redacted]@").replace(URL_SECRET_PARAM, "$1[redacted]");

/**
 * A webhook URL's path is its credential (Slack's `/services/T…/B…/<secret>`, Discord's
 * `/api/webhooks/<id>/<token>`, most others alike): only where it goes is shown. Other URLs keep
 * their paths: a `base_url`'s `/v1`, a JWKS or OIDC address, are where things are, not secrets.
 */
function webhookDestination(value: string): string {
  const url = new URL(value);
  return url.pathname === "/" && url.search === "" ? url.origin : `${url.origin}/[redacted]`;
}

/**
 * Whether the field at `path` holds a credential: a name `SECRET_KEYS` matches, or a provider's
 * header (an `Authorization`, an `x-api-key`, an org id), or its `headers` itself (written as one
 * string, `headers: "x-api-key: …"`, it is a header's value). Its value is never shown: not by
 * `redactConfig`, nor quoted in a config error (config-error.ts).
 */
export function isSecretField(path: readonly PropertyKey[]): boolean {
  const key = path.at(-1);
  if (typeof key === "string" && SECRET_KEYS.test(key)) return true;
  return (path.length === 3 || path.length === 4) && path[0] === "providers" && path[2] === "headers";
}

/** The resolved config with every secret replaced, for `config check` and the admin status. */
export function redactConfig(config: Config): unknown {
  const walk = (value: unknown, path: PropertyKey[]): unknown => {
    if (typeof value === "string" && isSecretField(path)) return value ? "[redacted]" : value;
    if (typeof value === "string") return redactUrl(value);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  const redacted = walk(config, []) as Record<string, unknown>;
  const events = redacted.events as { webhooks?: { url: string }[] } | undefined;
  for (const hook of events?.webhooks ?? []) hook.url = webhookDestination(hook.url);
  return redacted;
}
