/**
 * What a chat upstream needs beyond OpenAI's API, from its provider, for the translations into
 * chat (messages-request-to-chat.ts, responses-request-to-chat.ts).
 */
export interface ChatUpstreamNeeds {
  /**
   * The reasoning of past turns back, as each assistant message's `reasoning_content` (the
   * provider's `wantsReasoningBack`: DeepSeek's thinking mode). A tool-call turn carries the field
   * even without reasoning (a turn another route answered): DeepSeek refuses one without it.
   */
  readonly reasoningBack?: boolean;
  /**
   * The provider whose thinking goes back signed (a Messages server that takes its thinking back:
   * providers/takes-thinking-back.ts): a reasoning item carrying a signature it wrote goes back with
   * it (thinking-blocks.ts `signatureFor`); any other goes back unsigned.
   */
  readonly signedThinkingOf?: string;
  /**
   * Tool-call ids kept as the caller sent them, Gemini's thought signature in them (gemini-call-id.ts):
   * only a Gemini upstream reads it. Any other gets each id plain (`plainCallIds`), as short as
   * OpenAI and Azure require (40 characters), call and result alike.
   */
  readonly signedCallIds?: boolean;
  /**
   * A file by URL goes as a chat `file` part's `file_url` (ChatTarget.fileUrls: Gemini fetches it,
   * Anthropic a PDF);
   * any other upstream has no place for one, and it is left out, named.
   */
  readonly fileUrls?: boolean;
  /** A Messages caller's `cache_control` goes on the chat part, message or tool it marks (ChatTarget.cacheMarks). */
  readonly cacheMarks?: boolean;
  /**
   * The route's model is Claude behind a chat translation (ChatTarget.takesThinking): a Messages
   * caller's `thinking` goes as it is, the chat request's own `thinking`, not as `reasoning_effort`;
   * each assistant turn's signed and redacted thinking blocks are noted beside its chat message.
   */
  readonly claudeThinking?: boolean;
  /**
   * The route's model takes a sampling `top_k` behind the chat step (ChatTarget.takesTopK: Claude on
   * Converse): a Messages caller's goes as chat's `top_k`. Unset: it is named, as OpenAI's chat API
   * has no such field.
   */
  readonly topK?: boolean;
  /**
   * The most stop sequences the upstream takes (the provider's `maxStops`: OpenAI's and Azure's
   * 4; its chat target's: Gemini's 5); the rest are left out and named. Unset: every one goes.
   */
  readonly maxStops?: number;
  /**
   * The effort that stops the upstream's thinking, or makes it least (ChatTarget.thinkingOffEffort:
   * Gemini's `none`): a Messages caller's `thinking: {type: "disabled"}` is written as it. Unset:
   * no effort is written for it.
   */
  readonly thinkingOffEffort?: string;
  /**
   * The upstream shows its thinking only when asked (ChatTarget.showsReasoningAsked: Gemini): a
   * Messages caller's `thinking` that shows it (enabled or adaptive, not `display: "omitted"`)
   * asks, as `include_reasoning: true`.
   */
  readonly showsReasoningAsked?: boolean;
  /**
   * The route's model takes a thinking budget in tokens (ChatTarget.takesThinkingBudget: Gemini 2.5,
   * not 3): a Messages caller's `thinking.budget_tokens` goes as `reasoning.max_tokens` beside the
   * effort it is rounded to.
   */
  readonly thinkingBudget?: boolean;
  /**
   * The upstream searches the web when asked by chat's `web_search_options` (its ChatTarget carries
   * the field: Anthropic's web_search tool, Gemini's Google Search): a Responses caller's
   * `web_search` tool is written as it. Unset: the tool is a hosted one the upstream cannot run.
   */
  readonly webSearch?: boolean;
}
