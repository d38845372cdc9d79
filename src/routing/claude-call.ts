import type { JsonObject, Operation } from "../core/dialect.ts";
import { type AcceptedBetas, sortBetas } from "../providers/accepted-betas.ts";
import type { Provider } from "../providers/provider.ts";
import { Dropped, type UnsupportedPolicy } from "../translate/dropped.ts";
import { refuseForcedToolChoice } from "../translate/forced-tool-refused.ts";
import { withThinkingBack } from "../translate/thinking-back.ts";
import { refuseThinkingType } from "../translate/thinking-type-refused.ts";
import { withoutUnsignedThinking } from "../translate/unsigned-thinking.ts";
import { refuseMessagesUrlSources } from "../translate/url-sources.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import type { ReceivedRequest } from "./dispatch.ts";
import { identity, sameDialect } from "./same-dialect-call.ts";
import { leavesOutUnsignedThinking, mendsThinking } from "./unsigned-thinking-in.ts";

/** The caller's dialect headers (`anthropic-beta`, `anthropic-version`). */
type DialectHeaders = Readonly<Record<string, string>>;

/** Of the request as received: its dialect headers, and what it holds of thinking once looked for. */
export type CallerDialect = Pick<ReceivedRequest, "headers" | "unsignedThinking" | "thinkingToMend">;

const BETA = "anthropic-beta";

/**
 * A Messages call (or count) that goes to Claude in the caller's own dialect — Anthropic's API,
 * Claude on Bedrock or Vertex AI — without what Claude would refuse the whole request for: thinking
 * it did not sign (a chat route's reasoning, carried in the conversation: unsigned-thinking.ts),
 * and the betas of the caller's `anthropic-beta` header the route's cloud does not take
 * (`Provider.acceptedBetas`). Each is named (`x-mindgw-dropped`, the audit row), or refused under
 * `translation.unsupported: reject`. A Messages server that is no Claude and wants such thinking
 * back (`Provider.takesUnsignedThinking`: DeepSeek's) is sent it, without Claude's
 * `redacted_thinking`, which it does not take (named too), and with an empty thinking block leading
 * a tool-call turn that has none, which it refuses (thinking-back.ts). A call that needs none of
 * this goes as received, its bytes spliced; the look for either kind of thinking is one pass over
 * the assistant turns, nothing made, once a request (`received`: its dialect headers, and what that
 * look found: unsigned-thinking-in.ts), whatever its attempts and routes. A `thinking` the route's
 * model (`upstreamModel`) answers with a 400 — `enabled` with a budget to Claude 4.7 and later,
 * `adaptive` to Claude 4.5 and earlier, `disabled` to one that always thinks — or a forced tool call
 * it refuses, is the route's refusal
 * (thinking-type-refused.ts, forced-tool-refused.ts); any other `thinking` goes as written.
 */
export function claudeCall(
  operation: Operation,
  body: JsonObject,
  provider: Provider,
  received: CallerDialect | undefined,
  policy: UnsupportedPolicy,
  upstreamModel: string,
): AdaptedCall {
  // A part by URL the route's cloud refuses: the route's refusal, before anything is sent.
  if (provider.refusesUrlSources) refuseMessagesUrlSources(body, new Dropped(policy));
  // Read only when the body asks a thinking type or forces a tool call: two property reads on every other call.
  if (operation === "messages") {
    refuseThinkingType(body.thinking, upstreamModel);
    refuseForcedToolChoice(body.tool_choice, upstreamModel);
  }
  const accepted = provider.acceptedBetas;
  const headers = received?.headers;
  const unsigned = leavesOutUnsignedThinking(provider, body, received);
  const mended = mendsThinking(provider, body, received);
  if (!unsigned && !mended && (accepted === undefined || headers?.[BETA] === undefined))
    return sameDialect(operation, body, provider);
  const dropped = new Dropped(policy);
  const sent = unsigned
    ? withoutUnsignedThinking(body, dropped)
    : mended
      ? withThinkingBack(body, dropped)
      : body;
  const sentHeaders = accepted && headers ? headersTaken(headers, accepted, dropped) : undefined;
  if (sent === body && sentHeaders === undefined) return sameDialect(operation, body, provider);
  return {
    operation,
    body: sent,
    ...identity,
    native: {
      forcedUsage: false,
      // The body changed: it goes serialised, not as the bytes received.
      ...(sent === body ? {} : { rewritten: true }),
      ...(sentHeaders === undefined ? {} : { headers: sentHeaders }),
    },
    dropped: dropped.list,
  };
}

/**
 * The caller's dialect headers with `anthropic-beta` holding only the betas the cloud takes,
 * under its names (none at all when it takes none of them); undefined when that is as sent.
 */
function headersTaken(
  headers: DialectHeaders,
  accepted: AcceptedBetas,
  dropped: Dropped,
): DialectHeaders | undefined {
  const header = headers[BETA];
  if (header === undefined) return undefined;
  const { sent, refused } = sortBetas(header, accepted);
  for (const beta of refused) dropped.add(`${BETA}.${beta}`, BETA, "is a beta the route's cloud refuses");
  const value = sent.join(",");
  if (refused.length === 0 && value === header.replaceAll(" ", "")) return undefined;
  const { [BETA]: _caller, ...rest } = headers;
  return value === "" ? rest : { ...rest, [BETA]: value };
}
