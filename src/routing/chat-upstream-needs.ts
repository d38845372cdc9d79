import type { Provider } from "../providers/provider.ts";
import { takesThinkingBack } from "../providers/takes-thinking-back.ts";
import type { ChatUpstreamNeeds } from "../translate/chat-upstream-needs.ts";
import { chatTargetOf } from "./translated-chat.ts";

/**
 * What a translation into chat must give the provider's upstream beyond OpenAI's API, for every
 * caller's dialect alike (Anthropic Messages, Responses): DeepSeek's thinking mode wants its
 * reasoning back (`wantsReasoningBack`, or, on its `/anthropic`, `takesThinkingBack`: the chat
 * goes on to Messages, its reasoning as thinking, translated-chat.ts); Gemini its thought
 * signatures in the tool-call ids, a file by URL (it fetches one, as Anthropic fetches a PDF), no
 * more than 5 stop sequences, `reasoning_effort: "none"` for thinking turned off, to be asked
 * for its thoughts (a thinking budget's number is the model's: messages-via-chat.ts); OpenAI and
 * Azure no more than 4 (the provider's own bound before its API's); a target that searches the web
 * (Anthropic, Gemini) a Responses caller's `web_search` tool as `web_search_options`.
 */
export const chatUpstreamNeeds = (provider: Provider): ChatUpstreamNeeds => ({
  reasoningBack: provider.wantsReasoningBack === true || takesThinkingBack(provider),
  ...(takesThinkingBack(provider) ? { signedThinkingOf: provider.name } : {}),
  signedCallIds: provider.chatTarget?.signedCallIds === true,
  fileUrls: chatTargetOf(provider)?.fileUrls === true,
  cacheMarks: chatTargetOf(provider)?.cacheMarks === true,
  webSearch: chatTargetOf(provider)?.carries.includes("web_search_options") === true,
  ...maxStopsOf(provider),
  ...thinkingOffOf(provider),
  ...(provider.chatTarget?.showsReasoningAsked === true ? { showsReasoningAsked: true } : {}),
});

/** The effort that stops the upstream's thinking (its chat target's: Gemini's), where it has one. */
const thinkingOffOf = (provider: Provider): Pick<ChatUpstreamNeeds, "thinkingOffEffort"> => {
  const off = provider.chatTarget?.thinkingOffEffort;
  return off === undefined ? {} : { thinkingOffEffort: off };
};

/** The most stop sequences the provider's upstream takes: its own bound, else its chat target's. */
const maxStopsOf = (provider: Provider): Pick<ChatUpstreamNeeds, "maxStops"> => {
  const most = provider.maxStops ?? provider.chatTarget?.maxStops;
  return most === undefined ? {} : { maxStops: most };
};
