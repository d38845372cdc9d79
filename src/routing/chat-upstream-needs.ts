import type { Provider } from "../providers/provider.ts";
import { takesThinkingBack } from "../providers/takes-thinking-back.ts";
import type { ChatUpstreamNeeds } from "../translate/chat-upstream-needs.ts";

/**
 * What a translation into chat must give the provider's upstream beyond OpenAI's API, for every
 * caller's dialect alike (Anthropic Messages, Responses): DeepSeek's thinking mode wants its
 * reasoning back (`wantsReasoningBack`, or, on its `/anthropic`, `takesThinkingBack`: the chat
 * goes on to Messages, its reasoning as thinking, translated-chat.ts); Gemini its thought
 * signatures in the tool-call ids, and a file by URL (it fetches one); OpenAI and Azure no more
 * than 4 stop sequences.
 */
export const chatUpstreamNeeds = (provider: Provider): ChatUpstreamNeeds => ({
  reasoningBack: provider.wantsReasoningBack === true || takesThinkingBack(provider),
  ...(takesThinkingBack(provider) ? { signedThinkingOf: provider.name } : {}),
  signedCallIds: provider.chatTarget?.signedCallIds === true,
  fileUrls: provider.chatTarget?.fileUrls === true,
  ...(provider.maxStops !== undefined ? { maxStops: provider.maxStops } : {}),
});
