import type { Config } from "./config-schema.ts";

const SECRET_KEYS = /(api_key|secret|password|token|authorization)$/i;

/** The resolved config with every secret replaced, for `config check` and the admin status. */
export function redactConfig(config: Config): unknown {
  const walk = (value: unknown, key: string): unknown => {
    if (typeof value === "string" && SECRET_KEYS.test(key)) return value ? "[redacted]" : value;
    if (Array.isArray(value)) return value.map((item) => walk(item, ""));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  const redacted = walk(config, "") as Record<string, unknown>;
  // Header values and URLs with credentials can carry secrets too.
  for (const provider of (redacted.providers as { headers?: Record<string, string> }[]) ?? []) {
    if (provider.headers)
      provider.headers = Object.fromEntries(Object.keys(provider.headers).map((k) => [k, "[redacted]"]));
  }
  const storage = redacted.storage as { url?: string };
  if (storage.url) storage.url = storage.url.replace(/\/\/[^@/]*@/, "//[redacted]@");
  return redacted;
}
