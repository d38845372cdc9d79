import type { Config } from "./config-schema.ts";
import { SECRET_KEYS } from "./redact-config.ts";

/**
 * Every credential `config` holds, word for word, for the gateway to take out of what it tells and
 * writes (core/credentials.ts): each value `redactConfig` hides (a provider's `api_key`, AWS's
 * secret key and session token, an Entra client secret, the JWT, cluster and webhook secrets), a
 * provider's header values (an `api-key:` header is a key), and an inline service-account key's
 * private key. A service account named by its file is read only by its provider.
 */
export function configuredCredentials(config: Config): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key: string): void => {
    if (typeof value === "string") {
      if (SECRET_KEYS.test(key)) found.push(value, ...serviceAccountSecrets(key, value));
    } else if (Array.isArray(value)) for (const item of value) walk(item, "");
    else if (value && typeof value === "object")
      for (const [name, inner] of Object.entries(value)) walk(inner, name);
  };
  walk(config, "");
  for (const provider of config.providers) found.push(...Object.values(provider.headers));
  return found;
}

/** An inline service-account key's private key and its id, which an upstream might quote apart from the JSON. */
function serviceAccountSecrets(key: string, value: string): string[] {
  if (key !== "service_account" || !value.trimStart().startsWith("{")) return [];
  try {
    const parsed = JSON.parse(value) as { private_key?: unknown; private_key_id?: unknown };
    return [parsed.private_key, parsed.private_key_id].filter((v): v is string => typeof v === "string");
  } catch {
    return [];
  }
}
