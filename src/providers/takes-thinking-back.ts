import type { Provider } from "./provider.ts";

/**
 * The upstream takes back thinking no Claude signed (`Provider.takesUnsignedThinking`: DeepSeek's
 * `/anthropic`): a Messages caller's such thinking goes as sent, mended where it could not; a chat
 * or Responses caller is told its thinking, and that caller's reasoning goes back to it as thinking.
 * Every side reads it here, so the request, the answer and the next turn never disagree.
 */
export const takesThinkingBack = (provider: Provider): boolean => provider.takesUnsignedThinking === true;
