import type { Dropped } from "../dropped.ts";
import { hasText } from "../has-text.ts";
import { stopList } from "../stop-list.ts";

/**
 * A chat request's `stop` as Anthropic's `stop_sequences`, without the entries Anthropic always
 * refuses: an empty one (400 "stop_sequences: each stop sequence must be non-empty") and one of
 * whitespace alone (400 "…must contain non-whitespace"), which OpenAI takes (`stop: "\n"`, a
 * completion of one line). Each left out is named, or refused under `reject`; undefined when none
 * is left.
 */
export function stopSequences(
  stop: string | string[] | null | undefined,
  dropped: Dropped,
): string[] | undefined {
  const listed = stopList(stop);
  // Most calls send no stop: no filter (a closure, an array) made for them.
  if (listed.length === 0) return undefined;
  const kept = listed.filter((sequence, i) => {
    if (hasText(sequence)) return true;
    dropped.add(BLANK, typeof stop === "string" ? "stop" : `stop.${i}`, BLANK_WHY);
    return false;
  });
  return kept.length > 0 ? kept : undefined;
}

const BLANK = "stop (blank)";
const BLANK_WHY = "is empty or only whitespace, which Anthropic refuses as a stop sequence";
