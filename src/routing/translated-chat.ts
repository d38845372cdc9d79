import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { takesThinkingBack } from "../providers/takes-thinking-back.ts";
import { refuseAudioOutput } from "../translate/answers-in-audio.ts";
import type { CallerPaths } from "../translate/caller-paths.ts";
import { type ChatTarget, nameUncarried, nameUnshownReasoning } from "../translate/chat-target.ts";
import type { Dropped } from "../translate/dropped.ts";
import { chatFieldName } from "../translate/openai-to-anthropic/chat-field-names.ts";
import {
  ANTHROPIC_CACHING_TARGET,
  ANTHROPIC_TARGET,
  chatRequestToMessages,
} from "../translate/openai-to-anthropic/chat-request-to-messages.ts";
import { messagesResponseToChat } from "../translate/openai-to-anthropic/messages-response-to-chat.ts";
import { messagesStreamToChat } from "../translate/openai-to-anthropic/messages-stream-to-chat.ts";
import { refuseOutOfRange } from "../translate/sampling-range.ts";
import { refuseChatUrlSources } from "../translate/url-sources.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { sameDialect } from "./same-dialect-call.ts";
import { callerFieldHints, type HintNames, translationHints } from "./translation-hints.ts";

/** Where a translated call goes: the route's provider (or the worker it chose) and model. */
export interface Target {
  readonly provider: Provider;
  readonly upstreamModel: string;
}

/**
 * The API a chat call to `provider` crosses into: Anthropic's (translated here), or a provider's
 * own (Bedrock, Gemini); undefined for a chat upstream, which gets the call as it is.
 */
export const chatTargetOf = (provider: Provider): ChatTarget | undefined =>
  provider.dialect === "anthropic" ? anthropicTargetOf(provider) : provider.chatTarget;

/** What an Anthropic upstream takes of a chat call: a `prompt_cache_key` too where it caches automatically. */
const anthropicTargetOf = (provider: Provider): ChatTarget =>
  provider.cachesAutomatically ? ANTHROPIC_CACHING_TARGET : ANTHROPIC_TARGET;

/** A chat call crosses into another API: Anthropic's (here), or a provider's own (Bedrock, Gemini). */
export const translatesChat = (provider: Provider): boolean => chatTargetOf(provider) !== undefined;

/**
 * A chat call that a translation carries to another API, what it cannot carry named in `dropped`.
 * `chained`: the chat call is a Responses turn continuing a stored chain (its prefix the same each turn).
 */
export function translatedChat(
  body: JsonObject,
  to: Target,
  model: string,
  dropped: Dropped,
  paths?: CallerPaths,
  chained = false,
): AdaptedCall {
  const { provider, upstreamModel } = to;
  // What OpenAI's API refuses, a translation would clamp or drop and answer: refused as OpenAI does.
  refuseOutOfRange(body);
  if (provider.dialect === "anthropic") {
    // A part the translation would send by URL, which the route's cloud refuses: the route's refusal.
    if (provider.refusesUrlSources) refuseChatUrlSources(body, dropped);
    // The target as it came: no object of its own per call.
    const call = chatViaMessages(body, model, dropped, to, chained);
    if (!paths) return call;
    // An offered tool's schema, named by Anthropic at its index among those offered: the caller's.
    const callerNames = (field: string) => inOfferedTool(chatFieldName(field), paths);
    return { ...call, callerNames, callerPaths: paths };
  }
  // The provider translates in its `call`; what its API cannot take is refused or named here, before.
  const target = provider.chatTarget;
  if (target) {
    target.refuseUnsent?.(body, upstreamModel);
    refuseAudioOutput(body, target);
    nameUncarried(body, target, dropped, upstreamModel);
    nameUnshownReasoning(body, target, dropped, upstreamModel);
  }
  // The caller's own effort and bound go as it sent them; only its fields the target's models refuse
  // are hints.
  const hints = callerFieldHints(body, target);
  // The answer comes back as chat, but the provider's own: a whole one with no count (Gemini's -1s)
  // is told the estimate it is billed, as any translated answer is (AdaptedCall `prompt`).
  return {
    ...sameDialect("chat", body, provider),
    dropped: dropped.list,
    prompt: body,
    ...(hints ? { hints } : {}),
    ...(paths ? { callerPaths: paths } : {}),
  };
}

/** A chat path the caller's: an offered tool's at its index among the caller's tools (`paths`). */
const inOfferedTool = (field: string | undefined, paths: CallerPaths): string | undefined =>
  field === undefined ? undefined : (paths.resolve(field)?.path ?? field);

/** The caller's names for what a translation may write of its own: a chat caller's. */
const CHAT_HINTS: HintNames = {
  effort: "reasoning_effort",
  bound: "max_completion_tokens",
  format: "response_format",
};

/**
 * A chat call to an Anthropic upstream. When the upstream takes thinking no Claude signed
 * (`thinkingBack`: DeepSeek's `/anthropic`), its thinking reaches the caller as `reasoning_content`
 * and the assistant turns' reasoning goes back as thinking: the round trip its thinking mode asks.
 * Where it caches automatically (`automatic_caching`), a `prompt_cache_key` asks it to, and so
 * does a stored chain (`chained`).
 */
function chatViaMessages(
  body: JsonObject,
  model: string,
  dropped: Dropped,
  { provider, upstreamModel }: Target,
  chained: boolean,
): AdaptedCall {
  const includeUsage = isJsonObject(body.stream_options) && body.stream_options.include_usage === true;
  const thinkingBack = takesThinkingBack(provider);
  const caches = provider.cachesAutomatically === true;
  const messages = chatRequestToMessages(body, dropped, upstreamModel, thinkingBack, caches, chained);
  return {
    operation: "messages",
    body: messages,
    dropped: dropped.list,
    // An Anthropic refusal of the format's or a tool's schema, said of the caller's field.
    callerNames: chatFieldName,
    hints: translationHints(messages, body, CHAT_HINTS, ANTHROPIC_TARGET),
    prompt: body,
    json: (reply) => messagesResponseToChat(reply, model, { thinkingBack }),
    stream: (events, onUsage) =>
      messagesStreamToChat(events, {
        requestedModel: model,
        includeUsage,
        thinkingBack,
        ...(onUsage ? { onUsage } : {}),
      }),
  };
}
