import type { JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { plainCallIdsOf, SIGNATURE_MARK } from "../translate/openai-to-gemini/gemini-call-id.ts";
import type { DispatchRequest } from "./dispatch.ts";

const SIGNED_CALL_ID = new TextEncoder().encode(SIGNATURE_MARK);
const indexOf = Buffer.prototype.indexOf;

/** Each request's body (the key) as an upstream that reads no signature gets it: read once a request. */
const plainBodies = new WeakMap<JsonObject, JsonObject>();

/**
 * The caller's body as a route's upstream is given it, every path alike (translated, passed
 * through, steered, rewritten by a preset, shadowed): a tool-call id carrying Gemini's thought
 * signature (gemini-call-id.ts: a turn a Gemini route answered, sent on after a failover or a
 * model switch) is plain unless the upstream is Gemini's, which reads it; OpenAI and Azure refuse
 * an id over 40 characters, Bedrock one over 64.
 *
 * Worked out once a request, whichever routes it tries: an ordinary body costs one native search
 * of its bytes for the marker, and only one that has it is read further. A body made plain is not
 * the one received: its bytes are not spliced but the body serialised (`nativeRequest`).
 */
export function callerBodyFor(
  request: Pick<DispatchRequest, "body" | "received">,
  provider: Provider,
): JsonObject {
  if (provider.chatTarget?.signedCallIds === true) return request.body;
  let plain = plainBodies.get(request.body);
  if (plain === undefined) {
    const { received } = request;
    const unsigned =
      received?.body === request.body && indexOf.call(received.bytes, SIGNED_CALL_ID, 0) === -1;
    plain = unsigned ? request.body : plainCallIdsOf(request.body);
    plainBodies.set(request.body, plain);
  }
  return plain;
}
