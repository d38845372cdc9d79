import { NO_DIALECT_HEADERS } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { TRACEPARENT } from "../../core/traceparent.ts";
import { TRACESTATE } from "../../core/tracestate.ts";
import type { ProviderCall, ProviderReply } from "../provider.ts";
import type { StreamedAnswer } from "./streamed-answer.ts";
import { answerFetch, plainFetch, streamFetch } from "./upstream-fetch.ts";
import { UpstreamPost } from "./upstream-post.ts";
import type { WholeAnswer } from "./whole-answer.ts";

/**
 * How a request goes out: `fetch`, or a function that may answer a stream with a feed, or a body
 * whole (read within `maxBody` where it is read off the loop).
 */
type Send<T> = (input: string, init: RequestInit, maxBody?: number) => Promise<T>;

/**
 * POSTs a call's JSON body upstream under its abort signal, for a call whose answer the gateway
 * reads (a translation's). A fetch that fails before any answer is a retryable 502, or the abort
 * reason when we ended it (client gone, timeout). A stream call's successful event stream may come
 * back as the lean client's byte feed (`StreamedAnswer`), without a `Response`, as a same-dialect
 * stream's does (`postNative`).
 */
export function postCall(
  provider: string,
  url: string,
  headers: Record<string, string>,
  call: ProviderCall,
  doFetch: typeof fetch,
): Promise<Response | StreamedAnswer> {
  const send: Send<Response | StreamedAnswer> = call.stream ? streamFetch(doFetch) : doFetch;
  return post(provider, url, headers, call, doFetch, send, asIs);
}

/** What a native call's fetch hands back: a `Response`, or a stream's byte feed or a whole body without one. */
type NativeAnswer = Response | StreamedAnswer | WholeAnswer;

/** A same-dialect answer, relayed as the upstream sent it. */
export type HttpReply = Extract<ProviderReply, { readonly kind: "http" }>;

/**
 * As `postCall`, for a call whose answer goes to the client as the upstream sent it (`native`),
 * handed back as the provider's reply: where the fetch can hand one, a stream may come back as a
 * byte feed (`StreamedAnswer`) and a body whole with its head as bytes (`WholeAnswer`), without a
 * `Response`.
 */
export function postNative(
  provider: string,
  url: string,
  headers: Record<string, string>,
  call: ProviderCall,
  doFetch: typeof fetch,
): Promise<HttpReply> {
  const send: Send<NativeAnswer> = call.stream ? streamFetch(doFetch) : answerFetch(doFetch);
  return post<NativeAnswer, HttpReply>(provider, url, headers, call, doFetch, send, httpReply);
}

const asIs = <T>(answer: T): T => answer;
const httpReply = (response: NativeAnswer): HttpReply => ({
  kind: "http",
  response,
});

/**
 * Sends the call and hands back `answer` of what came back, or the failure its init maps
 * (`UpstreamPost`): one `then` on the send's promise, no async frame per call.
 */
function post<T, R>(
  provider: string,
  url: string,
  headers: Record<string, string>,
  call: ProviderCall,
  doFetch: typeof fetch,
  sender: Send<T>,
  answer: (sent: T | Response) => R,
): Promise<R> {
  const native = call.native;
  let body: string | Uint8Array<ArrayBuffer>;
  try {
    body = native?.bytes ?? JSON.stringify(call.body);
  } catch {
    // The request itself cannot be serialised (too deep, a cycle from a custom front door): the
    // caller's fault, not the route's, so no retry and no breaker verdict.
    return Promise.reject(badRequest("request body cannot be serialised"));
  }
  // A shadow copy bound for the shadow thread: only in place of a plain network fetch, which the
  // thread does the same (a provider given its own fetch keeps it).
  const send: Send<T | Response> = call.offload && plainFetch(doFetch) ? call.offload : sender;
  const init = new UpstreamPost(
    provider,
    upstreamHeaders(headers, native?.headers ?? NO_DIALECT_HEADERS, call),
    body,
    call,
  );
  let sending: Promise<T | Response>;
  try {
    sending = send(native ? withQuery(url, native.query) : url, init, call.maxBody);
  } catch (error) {
    // A client that throws where it should reject fails as one that rejects.
    sending = Promise.reject(error);
  }
  return sending.then(answer, init.failed);
}

/**
 * The upstream request's headers: the provider's, then the client's dialect headers (an
 * allow-list, overriding the provider's defaults: a client that sends its own `anthropic-version`
 * gets that version), the `traceparent` (and `tracestate` beside it) and the request id. One
 * spread, then assignments: a second spread in the literal goes through JSC's generic property
 * copy (`copyDataProperties`: 0.28 µs of a traced request's loop in a profile, where the one
 * spread costs next to nothing).
 */
function upstreamHeaders(
  headers: Record<string, string>,
  dialect: Readonly<Record<string, string>>,
  call: ProviderCall,
): Record<string, string> {
  const traceparent = call.traceparent;
  if (dialect === NO_DIALECT_HEADERS && traceparent === undefined)
    return { ...headers, "x-request-id": call.requestId };
  const out = { ...headers };
  for (const name in dialect) out[name] = dialect[name] as string;
  if (traceparent !== undefined) {
    out[TRACEPARENT] = String(traceparent);
    const tracestate = call.tracestate;
    if (tracestate !== undefined) out[TRACESTATE] = tracestate;
  }
  out["x-request-id"] = call.requestId;
  return out;
}

/**
 * The client's query string added to a URL, less the client's own `api-version` where the URL
 * says the upstream's API version itself — an `api-version` of its own, or Azure's v1 API
 * (`/openai/v1/`), versioned by its path: there it is its provider's (Azure's `api_version`).
 * Azure's SDK clients send one on every call; sent on, Azure refuses the pair (or a dated one on
 * its v1 API) as a version it does not serve, which is the route's fault (core/upstream-fault.ts):
 * one caller would fail the route over and open its breaker for all. Elsewhere (an `openai` type
 * in front of an API that reads the caller's version, a stored response's read) it goes on as
 * given. Azure reads query keys as ASP.NET does, decoded and in any case, so they are compared so.
 */
export function withQuery(url: string, query: string): string {
  if (!query) return url;
  if (!OWN_API_VERSION.test(url)) return url.includes("?") ? `${url}&${query.slice(1)}` : url + query;
  const pairs = query.slice(1).split("&");
  const kept = pairs.filter((pair) => pair !== "" && !namesApiVersion(pair));
  if (kept.length === 0) return url;
  const rest = kept.length === pairs.length ? query.slice(1) : kept.join("&");
  return url.includes("?") ? `${url}&${rest}` : `${url}?${rest}`;
}

/** A URL that says the upstream's API version itself (`withQuery`). */
const OWN_API_VERSION = /[?&]api-version=|\/openai\/v1\//i;

function namesApiVersion(pair: string): boolean {
  const key = pair.split("=", 1)[0] ?? "";
  try {
    return decodeURIComponent(key.replaceAll("+", " ")).toLowerCase() === "api-version";
  } catch {
    return key.toLowerCase() === "api-version";
  }
}
