/**
 * Where each tool call of a whole answer came among its text. A chat completion joins an answer's
 * text into one `content` string beside its `tool_calls`; Anthropic's, Gemini's and Converse's
 * answers say it in order (text, a call, then more text), as their streams do. Their translations
 * to chat note here, for the chat message they wrote, the length of text before each call, so that
 * a translation on to the Responses API (whose output is items, in order) answers as the stream of
 * the same answer does. Noted only when text follows a call (a weak map entry, no copy, no field in
 * the chat answer); a message without one has its text first, as chat says it.
 */
const offsets = new WeakMap<object, readonly number[]>();

/** Notes, for `message`, how much of its `text` came before each call (`before[i]`, call `i`). */
export function noteCallsInText(message: object, text: string, before: readonly number[]): void {
  const last = before.at(-1);
  if (last !== undefined && last < text.length) offsets.set(message, before);
}

/** How much of the chat `message`'s text came before each of its calls, when text followed one. */
export function callsInText(message: unknown): readonly number[] | undefined {
  return typeof message === "object" && message !== null ? offsets.get(message) : undefined;
}
