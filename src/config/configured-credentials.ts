import { readFileSync } from "node:fs";
import { isCredentialHeader } from "../core/credential-header.ts";
import type { Config } from "./config-schema.ts";
import { SECRET_KEYS } from "./redact-config.ts";

/**
 * What local servers' docs tell you to write where no key is checked (LM Studio's `lm-studio`,
 * llama.cpp's `sk-no-key-required`, vLLM's `EMPTY`…): no secret, and often a word of the messages.
 */
const PLACEHOLDERS = new Set([
  "lm-studio",
  "not-needed",
  "not-used",
  "sk-no-key-required",
  "no-key-required",
  "placeholder",
  "anything",
  "dummy-key",
  "empty",
  "none",
  "ollama",
]);

/**
 * Every credential `config` holds, word for word, for the gateway to take out of what it tells and
 * writes (core/credentials.ts): each value `redactConfig` hides (a provider's `api_key`, AWS's
 * secret key and session token, an Entra client secret, the JWT, cluster and webhook secrets), the
 * values of a provider's headers named as credentials (`api-key:`), and a service-account key's
 * private key, inline or in the file named. Never a placeholder, nor a value that is also a name
 * the config gives (a provider `lm-studio` with `api_key: lm-studio`): taking it out would take
 * the provider's, a model's or a tenant's name out of every line that says it.
 */
export function configuredCredentials(config: Config): string[] {
  const names = configuredNames(config);
  const secrets = new Set(secretValues(config));
  return [...secrets].filter(
    (value) => !PLACEHOLDERS.has(value.toLowerCase()) && !names.has(value.toLowerCase()),
  );
}

/** Every name the config gives (providers, models, the upstream models routed to, tenants…), lowercased. */
function configuredNames(config: Config): Set<string> {
  const names = new Set<string>();
  const walk = (value: unknown, key: string): void => {
    if (typeof value === "string") {
      if (NAME_KEYS.has(key)) names.add(value.toLowerCase());
    } else if (Array.isArray(value)) for (const item of value) walk(item, key);
    else if (value && typeof value === "object")
      for (const [name, inner] of Object.entries(value)) walk(inner, name);
  };
  walk(config, "");
  return names;
}

const NAME_KEYS = new Set(["name", "model", "models", "provider", "tenant", "deployment"]);

function secretValues(config: Config): string[] {
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
  for (const provider of config.providers)
    for (const [name, value] of Object.entries(provider.headers))
      if (isCredentialHeader(name)) found.push(value);
  return found;
}

/**
 * A service-account key's private key and its id, or a user's (`authorized_user`) client secret and
 * refresh token, which an upstream might quote apart from the JSON: of the inline credentials, or
 * of the file named (read now, at each config version: a file that cannot be read is its
 * provider's to report).
 */
function serviceAccountSecrets(value: string): string[] {
  const inline = value.trimStart().startsWith("{");
  try {
    const text = inline ? value : readFileSync(value, "utf8");
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return [parsed.private_key, parsed.private_key_id, parsed.client_secret, parsed.refresh_token].filter(
      (v): v is string => typeof v === "string",
    );
  } catch {
    return [];
  }
}
