import { urlLabel } from "../core/url-label.ts";
import type { Config } from "./config-schema.ts";

/**
 * Valid, but a provider's `base_url` against its own SDK's convention (SPEC, "Config"): for
 * `type: anthropic` it is the API root, and requests go to `{base_url}/v1/messages`, so a base_url
 * ending in `/v1` (as an `openai` one does) sends every call to `…/v1/v1/messages`, a 404 upstream.
 * Not refused: a proxy may serve Anthropic's API under a path of its own that ends so. One warning
 * per provider, without a `warning:` prefix (the log line has its level).
 */
export function baseUrlWarnings(config: Config): string[] {
  return config.providers.flatMap((provider) => {
    if (provider.type !== "anthropic" || provider.base_url === undefined) return [];
    const url = new URL(provider.base_url);
    const path = url.pathname.replace(/\/+$/, "");
    if (!path.endsWith("/v1")) return [];
    url.pathname = path.slice(0, -"/v1".length) || "/";
    const root = urlLabel(url.toString());
    return [
      `provider ${provider.name} (anthropic): base_url ${urlLabel(provider.base_url)} ends in /v1, but an anthropic base_url is the API root: requests go to {base_url}/v1/messages, here …/v1/v1/messages; did you mean ${root}?`,
    ];
  });
}
