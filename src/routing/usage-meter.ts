import type { Dialect, JsonObject } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";

const HAS_USAGE = /"usage"\s*:\s*\{/;

/**
 * Reads token usage off an answer in the upstream's dialect as it passes by. Only events
 * that can hold usage are parsed, so relaying a stream costs one regex test per event.
 */
export class UsageMeter {
  readonly usage: Usage = { inputTokens: 0, outputTokens: 0 };

  constructor(private readonly dialect: Dialect) {}

  fromBody(body: JsonObject): void {
    this.take(body.usage);
  }

  /** Returns the parsed event data when it carried usage, so callers can inspect it once. */
  fromEvent(event: SseEvent): JsonObject | undefined {
    if (!HAS_USAGE.test(event.data)) return undefined;
    let parsed: JsonObject;
    try {
      parsed = JSON.parse(event.data) as JsonObject;
    } catch {
      return undefined;
    }
    const message = parsed.message as JsonObject | undefined; // anthropic message_start
    this.take(message?.usage ?? parsed.usage);
    return parsed;
  }

  private take(raw: unknown): void {
    if (!raw || typeof raw !== "object") return;
    const u = raw as Record<string, unknown>;
    const input = this.dialect === "openai" ? (u.prompt_tokens ?? u.input_tokens) : u.input_tokens;
    const output = this.dialect === "openai" ? (u.completion_tokens ?? u.output_tokens) : u.output_tokens;
    // Anthropic reports input once (message_start) and a running output total (message_delta).
    if (typeof input === "number" && input > 0) this.usage.inputTokens = input;
    if (typeof output === "number") this.usage.outputTokens = Math.max(this.usage.outputTokens, output);
  }
}
