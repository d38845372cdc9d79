import type { JsonObject } from "../core/dialect.ts";
import type { NativeRequest, Provider } from "../providers/provider.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import type { ReceivedRequest } from "./dispatch.ts";
import { takesCallerBytes } from "./received-bytes.ts";
import { splicedFor } from "./splice-body.ts";
import { CLIENT_ROUTING_FIELDS, stripClientRouting } from "./strip-client-routing.ts";

// What a route's upstream is sent of the caller's request (try-route.ts opens the attempt with it,
// a shadow call its native request): the body with the route's model, and the bytes
// received where the upstream takes them as they came.

/**
 * The client's request as a same-dialect upstream gets it: its bytes with the model spliced in
 * (held in place of the bytes received: `splicedFor`) —
 * unless it carries client routing fields, which never leave the gateway, or the route was given
 * the caller's body changed (`callerBodyFor`: tool-call ids made plain), or the call's body was
 * rewritten, or its provider builds every body itself (`Provider.rebuildsBody`: its headers are the
 * caller's, its bytes never); then `body` is serialised instead, and nothing spliced.
 */
export function nativeRequest(
  received: ReceivedRequest,
  body: JsonObject,
  adapted: AdaptedCall,
  /** The route was given a copy of the caller's body (`callerBodyFor`), not the body received. */
  callerBodyChanged: boolean,
  provider: Provider,
): NativeRequest {
  const steered = hasAny(received.body, CLIENT_ROUTING_FIELDS);
  const bytes =
    steered || adapted.native?.rewritten || callerBodyChanged || !takesCallerBytes(provider)
      ? undefined
      : splicedFor(received, String(body.model), adapted.native?.forcedUsage === true);
  // Nothing spliced (the common call): the request as received has every field a native request
  // has, so it goes as it is, no record a request. Spliced, or with headers of the route's own
  // (`AdaptedCall.native.headers`), the attempt gets a record of its own, whose bytes a later
  // route's splice does not replace.
  const headers = adapted.native?.headers ?? received.headers;
  if (bytes === received.bytes && received.spliced === undefined && headers === received.headers)
    return received;
  return { headers, query: received.query, bytes, path: received.path };
}

/**
 * The body as the route's upstream gets it: the route's model, no client routing fields. Copied
 * only when that changes it: the caller's body stays as received for the next route, and a
 * route that keeps the model's name takes a body without such fields as it is (no copy per attempt).
 */
export function upstreamBody(body: JsonObject, model: string): JsonObject {
  if (body.model === model && !hasAny(body, CLIENT_ROUTING_FIELDS)) return body;
  return stripClientRouting({ ...body, model });
}

/** Whether the body has any of the fields (a loop: no closure per call, as `some` would make). */
function hasAny(body: JsonObject, fields: readonly string[]): boolean {
  for (const field of fields) if (field in body) return true;
  return false;
}
