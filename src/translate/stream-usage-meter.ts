import type { Dialect } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import { USAGE_DETAILS, type Usage } from "../core/usage.ts";
import { answeredModel } from "./answered-model.ts";
import { parseEventData } from "./parse-body.ts";
import { usageFromAnthropic, usageFromOpenAI } from "./usage-mapping.ts";

const HAS_USAGE = /"usage"\s*:\s*\{/;
const FIELDS = ["inputTokens", "outputTokens", ...USAGE_DETAILS] as const;

/**
 * Watches a stream's events (in either dialect) and keeps the best usage figure seen so far.
 * Anthropic spreads usage over `message_start` (input) and `message_delta` (output, cumulative);
 * OpenAI sends it once, in the last chunk. Each figure only ever grows, so a late partial
 * report never lowers an earlier complete one. Each figure recorded makes a new best object,
 * never written to once made, so `usage` hands it out as it is (no copy per read, no object
 * before the first figure).
 */
export class StreamUsageMeter {
  private best: Usage | undefined;
  /**
   * The model the upstream says answered, read off the first event that reported usage and named
   * one (`answeredModel`), from the parse that read its usage.
   */
  model: string | undefined;

  constructor(
    private readonly dialect: Dialect,
    /**
     * The events observed name the model that answered; false where the provider wrote them
     * (`Provider.writesAnswers`: they name the caller's), whose reader `record`s its upstream's.
     */
    private readonly namesModel = true,
  ) {}

  observe(event: SseEvent): void {
    // Cheap skip for the many text deltas (OpenAI sends `"usage":null` on each of them).
    if (!HAS_USAGE.test(event.data)) return;
    const body = parseEventData(event.data);
    const usage = this.dialect === "anthropic" ? usageFromAnthropic(body) : usageFromOpenAI(body);
    if (usage) this.read(usage, answeredModel(body));
  }

  /**
   * A usage figure read off the answer as its provider gave it (an event observed, a translation's
   * read of it), and the model named there: kept only where that is the upstream's (`namesModel`).
   */
  read(usage: Usage, model?: string): void {
    this.record(usage, this.namesModel ? model : undefined);
  }

  /** A usage figure the provider read off its upstream's event, and the model that event named. */
  record(usage: Usage, model?: string): void {
    if (this.model === undefined) this.model = model;
    const best = this.best;
    const next: Usage = { inputTokens: 0, outputTokens: 0 };
    for (const field of FIELDS) {
      const value = Math.max(best?.[field] ?? 0, usage[field] ?? 0);
      if (value > 0 || field === "inputTokens" || field === "outputTokens") next[field] = value;
    }
    this.best = next;
  }

  get usage(): Usage | undefined {
    return this.best;
  }
}
