import { numberText } from "../core/number-text.ts";

/**
 * OpenAI's reset format: `20ms`, `12s`, `1m5s`. Seconds and minutes take few values, which the
 * number-to-string cache hands back; milliseconds up to a thousand, made by numberText
 * (number-text.ts says why).
 */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${numberText(Math.max(0, Math.ceil(ms)))}ms`;
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
