import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { FINAL_RESPONSE_EVENTS } from "../../core/final-response-events.ts";
import type { AnswerFold } from "./answer-fold.ts";
import { textOf } from "./loose-json.ts";

/**
 * Responses API stream events folded into the `response` object: the one its last event carries
 * whole (`response.completed`, `.incomplete`, `.failed`); for a stream cut short, the response so
 * far, with the output items that were done and the text of those that were not.
 */
export class ResponsesAnswerFold implements AnswerFold {
  private final: JsonObject | undefined;
  private latest: JsonObject | undefined;
  private readonly done = new Map<number, JsonObject>();
  private readonly texts = new Map<number, string>();

  take(event: unknown): void {
    if (!isJsonObject(event) || this.final) return;
    const type = event.type;
    if (typeof type !== "string") return;
    if (isJsonObject(event.response)) {
      if (FINAL_RESPONSE_EVENTS.has(type)) this.final = event.response;
      else this.latest = event.response;
      return;
    }
    const index = typeof event.output_index === "number" ? event.output_index : 0;
    if (type === "response.output_item.done" && isJsonObject(event.item)) this.done.set(index, event.item);
    else if (type === "response.output_text.delta")
      this.texts.set(index, (this.texts.get(index) ?? "") + textOf(event.delta));
  }

  whole(): JsonObject | undefined {
    if (this.final) return this.final;
    if (!this.latest && this.done.size === 0 && this.texts.size === 0) return undefined;
    const indices = [...new Set([...this.done.keys(), ...this.texts.keys()])].sort((a, b) => a - b);
    const output = indices.map(
      (index) =>
        this.done.get(index) ?? {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: this.texts.get(index) ?? "" }],
        },
    );
    return { object: "response", status: "in_progress", ...this.latest, output };
  }
}
