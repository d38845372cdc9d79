import type { JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { plainCallIdsOf, SIGNATURE_MARK } from "../translate/openai-to-gemini/gemini-call-id.ts";
import type { DispatchRequest } from "./dispatch.ts";

const SIGNED_CALL_ID = new TextEncoder().encode(SIGNATURE_MARK);
const indexOf = Buffer.prototype.indexOf;

/**
 * The caller's body as a route's upstream is given it, every path alike (translated, passed
 * through, steered, rewritten by a preset, shadowed): a tool-call id carrying Gemini's thought
 * signature (gemini-call-id.ts: a turn a Gemini route answered, sent on after a failover or a
 * model switch) is plain unless the upstream is Gemini's, which reads it; OpenAI and Azure refuse
 * an id over 40 characters, Bedrock one over 64.
 *
 * An ordinary body as received costs one native search of its bytes for the marker, an attempt
 * (nearly every request makes one), and nothing is kept: no entry in a map a request, which the
 * collector would have to clear. Only a body with the marker, or one a route built (a Responses
 * turn with its history), or one whose bytes were let go (`ReceivedRequest.bytes`: a translated
 * request, whose next attempts read no bytes), is read further: made plain, it is the same object
 * when no id carried a signature. A body made plain is not the one received: its bytes are not
 * spliced but the body serialised (`nativeRequest`).
 */
export function callerBodyFor(
  request: Pick<DispatchRequest, "body" | "received">,
  provider: Provider,
): JsonObject {
  if (provider.chatTarget?.signedCallIds === true) return request.body;
  const { received, body } = request;
  const bytes = received?.body === body ? received.bytes : undefined;
  if (bytes !== undefined && indexOf.call(bytes, SIGNED_CALL_ID, 0) === -1) return body;
  return plainCallIdsOf(body);
}
