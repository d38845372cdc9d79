import type { JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { asksThinkingMended } from "../translate/thinking-back.ts";
import { carriesUnsignedThinking } from "../translate/unsigned-thinking.ts";
import type { ReceivedRequest } from "./dispatch.ts";

/**
 * Whether the request's body carries thinking Claude did not sign (unsigned-thinking.ts), worked
 * out once a request, not once an attempt: a long Claude Code history is one pass over every turn,
 * and a request retried and failed over to other Claude routes (and copied to a shadow's) asks
 * it of each. `body` is the received one, or the copy a route was given of it (caller-body-for.ts:
 * tool-call ids made plain, its thinking the same); without the request as received (a call the
 * router did not take from a front door), it is worked out each time it is asked.
 */
export function unsignedThinkingIn(
  body: JsonObject,
  received: Pick<ReceivedRequest, "unsignedThinking"> | undefined,
): boolean {
  if (received === undefined) return carriesUnsignedThinking(body);
  received.unsignedThinking ??= carriesUnsignedThinking(body);
  return received.unsignedThinking;
}

/**
 * Whether a call to `provider` in the caller's dialect must go without thinking Claude did not
 * sign: it goes to Claude (Anthropic's API, Bedrock, Vertex AI, a server taken for one), which
 * refuses the whole request for it, and the body carries some. A Messages server that is no
 * Claude and takes it back (`Provider.takesUnsignedThinking`) is sent it.
 */
export const leavesOutUnsignedThinking = (
  provider: Provider,
  body: JsonObject,
  received: Pick<ReceivedRequest, "unsignedThinking"> | undefined,
): boolean =>
  provider.dialect === "anthropic" &&
  provider.takesUnsignedThinking !== true &&
  unsignedThinkingIn(body, received);

/**
 * Whether a call to `provider` in the caller's dialect must have its thinking mended
 * (thinking-back.ts): it goes to a Messages server that is no Claude (`Provider.takesUnsignedThinking`),
 * which takes thinking back but not Claude's `redacted_thinking`, and refuses a tool-call turn
 * without thinking, and the body holds such a turn. Only such a route's calls are looked through;
 * Claude's take them as they are.
 */
export const mendsThinking = (provider: Provider, body: JsonObject): boolean =>
  provider.takesUnsignedThinking === true && asksThinkingMended(body);
