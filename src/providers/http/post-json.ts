import { badRequest } from "../../core/gateway-error.ts";
import type { ProviderCall } from "../provider.ts";
import { unreachable } from "./upstream-failure.ts";

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
  let body: string;
  try {
    body = JSON.stringify(call.body);
  } catch {
    // The request itself cannot be serialised (too deep, a cycle from a custom front door): the
    // caller's fault, not the route's, so no retry and no breaker verdict.
    throw badRequest("request body cannot be serialised");
  }
  try {
    return await doFetch(url, {
      method: "POST",
      headers: { ...headers, ...call.traceHeaders, "x-request-id": call.requestId },
      body,
      signal: call.signal,
    });
  } catch {
    if (call.signal.aborted) throw call.signal.reason;
    throw unreachable(provider);
  }
}
