import type { JsonObject } from "../../core/dialect.ts";
import { responsesFailure } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { OpenItem } from "./open-item.ts";

/**
 * The events of one Responses stream, each numbered with the running sequence number every event
 * carries; none are written for an answer read whole (`whole`).
 */
export class ResponsesEvents {
  private sequence = 0;

  constructor(private readonly whole: boolean | undefined) {}

  /** The event, added to `out` unless the answer is read whole. */
  emit(out: SseEvent[], type: string, fields: JsonObject): void {
    if (!this.whole) out.push(this.event(type, fields));
  }

  event(type: string, fields: JsonObject): SseEvent {
    const data = { type, sequence_number: this.sequence++, ...fields };
    return { event: type, data: JSON.stringify(data) };
  }

  /**
   * The everyday event, a text delta, written as its JSON: the bytes `event` would write for the
   * same fields (in the same order), with only the id and the text serialised (`logprobs` comes
   * as its JSON, written once where it was counted).
   */
  textDelta(item: OpenItem, delta: string, logprobs: string): SseEvent {
    const type = "response.output_text.delta";
    const at = `"item_id":${JSON.stringify(item.itemId)},"output_index":${item.outputIndex},"content_index":0`;
    return {
      event: type,
      data: `{"type":"${type}","sequence_number":${this.sequence++},${at},"delta":${JSON.stringify(delta)},"logprobs":${logprobs}}`,
    };
  }

  /**
   * The Responses `error` event, then `response.failed` with `response` (the response so far),
   * numbered in sequence (core/error-wire.ts).
   */
  failure(error: GatewayError, response: JsonObject): SseEvent[] {
    const events = responsesFailure(error, this.sequence, response);
    this.sequence += events.length;
    return events;
  }
}
