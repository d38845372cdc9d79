/** The most of an upstream's own words a message quotes: they are the upstream's, not ours to keep whole. */
export const MAX_QUOTED = 300;

/** The most of a caller's value a message quotes: a body's model is at most this long (http/request-schemas.ts). */
export const MAX_SHOWN = 256;

/** `text` cut to `most` characters, an ellipsis saying so; the very string when shorter. */
const cutTo = (text: string, most: number): string => (text.length > most ? `${text.slice(0, most)}…` : text);

/**
 * The most of an upstream's words an error relays as its whole message (FastAPI's entries, OpenRouter's
 * provider's `metadata.raw`): the caller's to read, but an upstream's body is of any size.
 */
export const MAX_RELAYED = 1000;

/** `words` cut to `MAX_RELAYED` characters, an ellipsis saying so; the very string when shorter. */
export const relayedWords = (words: string): string => cutTo(words, MAX_RELAYED);

/** `words` cut to `MAX_QUOTED` characters, an ellipsis saying so; the very string when shorter. */
export const cutWords = (words: string): string => cutTo(words, MAX_QUOTED);

/**
 * A caller's value as an error's message quotes it (a path, a model, a content part's type, a query
 * parameter), cut to `MAX_SHOWN` characters: a message goes to the caller, the access line and the
 * audit row, each read by the redaction's patterns, and a 16 KB path or a 256 KB part type quoted
 * whole held the event loop for a second and more.
 */
export const shown = (value: string): string => cutTo(value, MAX_SHOWN);
