import type { JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { takesThinkingBack } from "../providers/takes-thinking-back.ts";
import { lookForThinking, type ThinkingFound } from "../translate/thinking-found.ts";

/**
 * What the request's body holds of thinking some route must change (thinking-found.ts), looked for
 * once a request, not once an attempt: a long Claude Code history is one pass over every turn, and
 * a request retried and failed over to other Claude or DeepSeek routes (and copied to a shadow's)
 * asks it of each. The one pass answers both routes' questions, kept on the request as received
 * (`ReceivedRequest.unsignedThinking`, `.thinkingToMend`). `body` is the received one, or the copy
 * a route was given of it (caller-body-for.ts: tool-call ids made plain, its thinking the same);
 * without the request as received (a call the router did not take from a front door), it is
 * looked for each time it is asked.
 */
function thinkingIn(body: JsonObject, received: ThinkingFound | undefined): ThinkingFound {
  const found = received ?? {};
  if (found.unsignedThinking === undefined) lookForThinking(body, found);
  return found;
}

/**
 * Whether a call to `provider` in the caller's dialect must go without thinking Claude did not
 * sign: it goes to Claude (Anthropic's API, Bedrock, Vertex AI, a server taken for one), which
 * refuses the whole request for it, and the body carries some. A Messages server that is no
 * Claude and takes it back (`takesThinkingBack`) is sent it.
 */
export const leavesOutUnsignedThinking = (
  provider: Provider,
  body: JsonObject,
  received: ThinkingFound | undefined,
): boolean =>
  provider.dialect === "anthropic" &&
  !takesThinkingBack(provider) &&
  thinkingIn(body, received).unsignedThinking === true;

/**
 * Whether a call to `provider` in the caller's dialect must have its thinking mended
 * (thinking-back.ts): it goes to a Messages server that is no Claude (`takesThinkingBack`),
 * which takes thinking back but not Claude's `redacted_thinking`, and refuses a tool-call turn
 * without thinking, and the body holds such a turn. Only such a route's calls ask; Claude's take
 * them as they are.
 */
export const mendsThinking = (
  provider: Provider,
  body: JsonObject,
  received: ThinkingFound | undefined,
): boolean => takesThinkingBack(provider) && thinkingIn(body, received).thinkingToMend === true;
