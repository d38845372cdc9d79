import { badRequest } from "../../core/gateway-error.ts";
import type { ProviderCall } from "../provider.ts";
import { unreachable } from "./upstream-failure.ts";
import { plainFetch } from "./upstream-fetch.ts";

/**
 * POSTs a call's JSON body upstream under its abort signal. A fetch that fails before any
 * answer is a retryable 502, or the abort reason when we ended it (client gone, timeout).
 */
export async function postJson(
  provider: string,
  url: string,
  headers: Record<string, string>,
  call: ProviderCall,
  doFetch: typeof fetch,
): Promise<Response> {
  const native = call.native;
  let body: string | Uint8Array<ArrayBuffer>;
  try {
    body = native?.bytes ?? JSON.stringify(call.body);
  } catch {
    // The request itself cannot be serialised (too deep, a cycle from a custom front door): the
    // caller's fault, not the route's, so no retry and no breaker verdict.
    throw badRequest("request body cannot be serialised");
  }
  // A shadow copy bound for the shadow thread: only in place of a plain network fetch, which the
  // thread does the same (a provider given its own fetch keeps it).
  const send = call.offload && plainFetch(doFetch) ? call.offload : doFetch;
  try {
    return await send(native ? withQuery(url, native.query) : url, {
      method: "POST",
      // The client's dialect headers (an allow-list) override the provider's defaults: a client
      // that sends its own `anthropic-version` gets that version.
      headers: native
        ? { ...headers, ...native.headers, ...call.traceHeaders, "x-request-id": call.requestId }
        : { ...headers, ...call.traceHeaders, "x-request-id": call.requestId },
      body,
      signal: call.signal,
    });
  } catch {
    if (call.signal.aborted) throw call.signal.reason;
    throw unreachable(provider);
  }
}

/** The client's query string added to a URL that may carry its own (`?api-version=…`). */
export function withQuery(url: string, query: string): string {
  if (!query) return url;
  return url.includes("?") ? `${url}&${query.slice(1)}` : url + query;
}
