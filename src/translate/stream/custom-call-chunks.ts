import type { JsonObject } from "../../core/dialect.ts";
import { errorEvent } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { customInput } from "../custom-tool-function.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import { gatheredWithin } from "./output-bound.ts";
import type { StreamWriter } from "./stream-translation.ts";

type ToolCallDelta = NonNullable<
  NonNullable<NonNullable<OpenAIChunk["choices"]>[number]["delta"]>["tool_calls"]
>[number];

/** A custom tool's call being streamed: its function arguments gathered until the call ends. */
interface OpenCall {
  readonly index: number;
  args: string;
  /** Its arguments' length so far, counted against the bound (output-bound.ts). */
  held: number;
}

/**
 * A translated chat stream (chat-custom-tools.ts) with each call of a custom tool's function
 * streamed as OpenAI streams a custom call (the SDK's `ChoiceDelta.ToolCall` `{index, id, type:
 * "custom", custom: {name, input}}`, whose `input` pieces ChatCompletionStream joins): opened with
 * its name at once, its input in one piece when the call ends (another call opens, the choice
 * finishes, or the stream ends), since the function's JSON arguments `{"input": "..."}` are only
 * the input once whole, as the Responses path says a custom call's input (item-done-events.ts).
 * Every other chunk goes on as it came. A call's arguments past `maxOutput` end the stream with a
 * 502, as any translation's gathering does (output-bound.ts).
 */
export class CustomCallChunks implements StreamWriter<OpenAIChunk> {
  complete = false;
  /** The custom call open, by choice index. */
  private readonly open = new Map<number, OpenCall>();
  /** The stream's id, model and time, for a chunk of the writer's own at the end. */
  private envelope: JsonObject = {};

  constructor(
    private readonly names: ReadonlySet<string>,
    /** `routing.max_upstream_body`: the most of a call's arguments held (output-bound.ts). */
    private readonly maxOutput?: number,
  ) {}

  start(first: OpenAIChunk): SseEvent[] {
    this.envelope = { id: first.id, object: first.object, created: first.created, model: first.model };
    return [];
  }

  chunk(chunk: OpenAIChunk): SseEvent[] {
    for (const choice of chunk.choices ?? []) {
      const at = choice.index ?? 0;
      const delta: JsonObject | undefined = choice.delta ?? undefined;
      const calls = delta?.tool_calls;
      let written: JsonObject[] | undefined;
      if (Array.isArray(calls)) {
        written = [];
        for (const call of calls) this.take(at, call, written);
      }
      if (choice.finish_reason) {
        this.complete = true;
        written = this.closed(at, written ?? []);
      }
      if (written === undefined) continue;
      const into: JsonObject = delta ?? {};
      if (written.length > 0) into.tool_calls = written;
      else delete into.tool_calls;
      if (!delta) choice.delta = into;
    }
    return [{ data: JSON.stringify(chunk) }];
  }

  /** One call's delta: a custom tool's opening, a piece of an open one's arguments, or any other. */
  private take(at: number, call: ToolCallDelta, written: JsonObject[]): void {
    const index = call.index ?? 0;
    const name = call.function?.name;
    if (name) {
      // A call opens: the ones before it are whole (the translations stream calls one at a time).
      this.closed(at, written);
      if (!this.names.has(name)) {
        written.push(call);
        return;
      }
      const args = call.function?.arguments ?? "";
      this.open.set(at, { index, args, held: gatheredWithin(0, args, this.maxOutput) });
      written.push({ index, id: call.id, type: "custom", custom: { name, input: "" } });
      return;
    }
    const custom = this.open.get(at);
    if (custom?.index !== index) {
      written.push(call);
      return;
    }
    const piece = call.function?.arguments ?? "";
    custom.held = gatheredWithin(custom.held, piece, this.maxOutput);
    custom.args += piece;
  }

  /** The input of the choice's open custom call (if any), after what the chunk writes of its own. */
  private closed(at: number, written: JsonObject[]): JsonObject[] {
    const open = this.open.get(at);
    if (!open) return written;
    this.open.delete(at);
    written.push({ index: open.index, custom: { input: customInput(open.args) } });
    return written;
  }

  /** A stream that ended without a finish reason: the inputs still open, then `[DONE]`. */
  finish(): SseEvent[] {
    const out: SseEvent[] = [];
    for (const at of [...this.open.keys()]) {
      const delta = { tool_calls: this.closed(at, []) };
      const choices = [{ index: at, delta, finish_reason: null }];
      out.push({ data: JSON.stringify({ ...this.envelope, choices }) });
    }
    out.push({ data: "[DONE]" });
    return out;
  }

  error(error: GatewayError): SseEvent[] {
    return [errorEvent(error, "openai")];
  }
}
