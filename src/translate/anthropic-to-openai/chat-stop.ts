import type { Dropped } from "../dropped.ts";

/**
 * Anthropic's `stop_sequences` as chat's `stop`: every one, or, to an upstream that takes no more
 * than `most` (OpenAI's and Azure's chat API: 4, 400 "'stop': array too long"; Gemini's 5;
 * Anthropic takes more), the first so many, the rest named `stop_sequences (past N)` or refused under `reject`.
 */
export function chatStop(
  stops: readonly string[],
  most: number | undefined,
  dropped: Dropped,
): readonly string[] {
  if (most === undefined || stops.length <= most) return stops;
  dropped.add(
    `stop_sequences (past ${most})`,
    `stop_sequences.${most}`,
    `is past the ${most} stop sequences this route's upstream takes`,
  );
  return stops.slice(0, most);
}
