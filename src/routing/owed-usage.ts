import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import { parseEventData } from "../translate/parse-body.ts";
import { chatUsageOf } from "../translate/usage-mapping.ts";
import type { UsageSink } from "./usage-sink.ts";

const encoder = new TextEncoder();
/** What OpenAI's usage chunk repeats of the stream's other chunks. */
const REPEATED = ["id", "object", "created", "model", "system_fingerprint"] as const;

/**
 * The usage chunk a chat (or completions) caller that asked for one (`UsageSink.usageAsked`) is
 * owed when its upstream sends none (a server that ignores `stream_options`): the `choices: []`
 * chunk OpenAI writes before `[DONE]`, saying what the caller is charged (`UsageSink.untoldUsage`),
 * its id, object, created and model those of the stream's finish chunk. Made only for such a caller.
 */
export class OwedUsage {
  private head: JsonObject | undefined;

  constructor(private readonly sink: UsageSink) {}

  /** The stream's finish chunk, decoded: what the usage chunk repeats of it (`REPEATED`). */
  finished(event: SseEvent | undefined): void {
    const body = event && parseEventData(event.data);
    if (!isJsonObject(body)) return;
    const head: JsonObject = {};
    for (const field of REPEATED) if (body[field] !== undefined) head[field] = body[field];
    this.head = head;
  }

  /**
   * The stream ends whole, `upstreamEvents` data events read but its end marker: the usage chunk
   * as an event's bytes, or none when the upstream reported usage of its own.
   */
  chunk(upstreamEvents: number): Uint8Array | undefined {
    const usage = this.sink.untoldUsage?.(upstreamEvents);
    if (!usage) return undefined;
    const chunk = { ...this.head, choices: [], usage: chatUsageOf(usage) };
    return encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`);
  }
}
