import type { JsonObject } from "../core/dialect.ts";
import type { ProviderCall } from "../providers/provider.ts";

/**
 * A provider call for a test that calls a provider directly: a whole (non-stream) chat call of
 * request `r1` carrying `body`, its signal never aborted, 5 s for each timeout; changed by `over`.
 */
export function providerCall(body: JsonObject, over: Partial<ProviderCall> = {}): ProviderCall {
  return {
    operation: "chat",
    requestId: "r1",
    stream: false,
    body,
    signal: new AbortController().signal,
    timeouts: { connectMs: 5000, firstByteMs: 5000, idleMs: 5000 },
    ...over,
  };
}
