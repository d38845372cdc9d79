/**
 * The texts made so far, by whole milliseconds (under a second) and by whole seconds (under an
 * hour). Every admitted request sends two resets, and within a window they repeat the same few
 * values: a text made once is handed out again, not a new string a header (at most ~4,600 short
 * strings in all, made once each, so neither a string a request nor an entry of JavaScriptCore's
 * number-to-string cache a request: core/number-text.ts says why the latter matters).
 */
const byMs: string[] = [];
const bySeconds: string[] = [];
const CACHED_SECONDS = 3600;

/** OpenAI's reset format: `20ms`, `12s`, `1m5s`. */
export function formatReset(ms: number): string {
  if (ms < 1000) return textOf(byMs, Math.max(0, Math.ceil(ms)), msText);
  const seconds = Math.ceil(ms / 1000);
  return seconds < CACHED_SECONDS ? textOf(bySeconds, seconds, secondsText) : secondsText(seconds);
}

/** `texts[n]`, made with `make` the first time. */
function textOf(texts: string[], n: number, make: (n: number) => string): string {
  const made = texts[n];
  if (made !== undefined) return made;
  const text = make(n);
  texts[n] = text;
  return text;
}

const msText = (ms: number): string => `${ms}ms`;

const secondsText = (seconds: number): string =>
  seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
