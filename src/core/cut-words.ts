/** The most of an upstream's own words a message quotes: they are the upstream's, not ours to keep whole. */
export const MAX_QUOTED = 300;

/** `words` cut to `MAX_QUOTED` characters, an ellipsis saying so; the very string when shorter. */
export const cutWords = (words: string): string =>
  words.length > MAX_QUOTED ? `${words.slice(0, MAX_QUOTED)}…` : words;
