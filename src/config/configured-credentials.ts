import { readFileSync } from "node:fs";
import type { Config } from "./config-schema.ts";
import { SECRET_KEYS } from "./redact-config.ts";

/**
 * Every credential `config` holds, word for word, for the gateway to take out of what it tells and
 * writes (core/credentials.ts): each value `redactConfig` hides (a provider's `api_key`, AWS's
 * secret key and session token, an Entra client secret, the JWT, cluster and webhook secrets), a
 * provider's header values (an `api-key:` header is a key), and a service-account key's private
 * key, inline or in the file named.
 */
export function configuredCredentials(config: Config): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key: string): void => {
    if (typeof value === "string") {
      // A service account named by its file: the file's key, not its path, which is no secret.
      if (key === "service_account") found.push(...serviceAccountSecrets(value));
      else if (SECRET_KEYS.test(key)) found.push(value);
    } else if (Array.isArray(value)) for (const item of value) walk(item, "");
    else if (value && typeof value === "object")
      for (const [name, inner] of Object.entries(value)) walk(inner, name);
  };
  walk(config, "");
  for (const provider of config.providers) found.push(...Object.values(provider.headers));
  return found;
}

/**
 * A service-account key's private key and its id, which an upstream might quote apart from the
 * JSON: of the inline key, or of the file it names (read now, at each config version: a file that
 * cannot be read is its provider's to report).
 */
function serviceAccountSecrets(value: string): string[] {
  const inline = value.trimStart().startsWith("{");
  try {
    const text = inline ? value : readFileSync(value, "utf8");
    const parsed = JSON.parse(text) as { private_key?: unknown; private_key_id?: unknown };
    return [parsed.private_key, parsed.private_key_id].filter((v): v is string => typeof v === "string");
  } catch {
    return [];
  }
}
