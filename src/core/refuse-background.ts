import { badRequest } from "./gateway-error.ts";

/**
 * Why `background: true` is refused. A background response answers at once, `queued`, with no
 * usage: its tokens would be counted against no limit or budget (the answer is read for them
 * as it comes), and a translated route cannot run one at all. Refused on every route, over
 * HTTP and the WebSocket mode alike, never dropped: a call that returns before its answer exists
 * is not the call the client made.
 */
export const BACKGROUND_REFUSED =
  "background responses are not supported by this gateway: a response is counted against the key's limits and budget as it is answered, which a background one is not; send it without background (stream it to keep a long answer's connection alive)";

/** Refuses a Responses request that asks to run in the background (`background: true`). */
export function refuseBackground(request: { readonly background?: unknown }): void {
  if (request.background === true) throw badRequest(BACKGROUND_REFUSED, "background");
}
