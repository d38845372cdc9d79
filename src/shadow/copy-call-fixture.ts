import type { JsonObject } from "../core/dialect.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { receivedAs } from "../routing/router-test-kit.ts";

// What a test of the shadow's own call (shadow-call.ts `callShadow`) sends its copy with: the
// route to an OpenAI-compatible upstream, and the caller's chat request the copy is made of.

/** The shadow route `provider:twin` to the OpenAI-compatible upstream at `baseUrl` (`…/v1`), model `candidate`. */
export function copyRoute(
  baseUrl: string,
  headers: Record<string, string> = {},
  doFetch?: typeof fetch,
): Route {
  const provider = createOpenAICompatibleProvider({
    name: "twin",
    baseUrl,
    apiKey: "sk-twin",
    headers,
    ...(doFetch ? { fetch: doFetch } : {}),
  });
  const timeouts = { connectMs: 10_000, firstByteMs: 10_000, idleMs: 10_000 };
  return {
    provider,
    upstreamModel: "candidate",
    weight: 1,
    timeouts,
    key: "twin/candidate",
    label: "provider:twin",
  };
}

/** The caller's request for `body`, as received (its bytes), a stream when it says so. */
export function copyRequest(body: JsonObject): DispatchRequest {
  return {
    operation: "chat",
    body,
    model: String(body.model),
    stream: body.stream === true,
    requestId: "req_shadow_call",
    serial: 1,
    signal: new AbortController().signal,
    tenant: "default",
    received: receivedAs(body),
  };
}

/** A chat request's body, `extra` over it. */
export const chatBody = (extra: JsonObject = {}): JsonObject => ({
  model: "m",
  messages: [{ role: "user", content: "one two three" }],
  ...extra,
});
