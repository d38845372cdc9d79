/** No stop sequence, shared: a request without `stop` allocates nothing for it. */
const NONE: readonly string[] = [];

/**
 * A chat request's `stop` as the list every other API takes (Anthropic's `stop_sequences`,
 * Gemini's and Converse's `stopSequences`): OpenAI takes one string or a list, or none.
 */
export const stopList = (stop: string | readonly string[] | null | undefined): readonly string[] =>
  stop == null ? NONE : typeof stop === "string" ? [stop] : stop;
