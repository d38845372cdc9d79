/**
 * A text as PostgreSQL can hold it: its `text` has no NUL, and a value holding one (a model name a
 * client asked for, an upstream's error message, a body) is refused, which dropped that request's
 * audit row. NUL becomes U+FFFD, as a lone surrogate already does on its way to UTF-8 (and on SQLite,
 * which keeps NUL, a lone surrogate alike). Filters are spelt the same way, so that a query for
 * what a client sent finds its row.
 */
export const storableText = (text: string): string =>
  text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
