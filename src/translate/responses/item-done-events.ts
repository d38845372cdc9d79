import type { JsonObject } from "../../core/dialect.ts";
import { customInput } from "../custom-tool-function.ts";
import { contentRef, itemBody, itemRef, type OpenItem, summaryRef } from "./open-item.ts";
import { outputTextPart, refusalPart, summaryPart } from "./response-envelope.ts";

/** Writes one event of the stream (ResponsesEvents.emit). */
type Emit = (type: string, fields: JsonObject) => void;

/**
 * The events that end an output item, by its kind: its text, part or arguments done (a custom
 * tool's input whole, in one delta), then the item itself.
 */
export function itemDoneEvents(item: OpenItem, emit: Emit): void {
  const text = item.text.whole();
  if (item.kind === "reasoning") {
    emit("response.reasoning_summary_text.done", { ...summaryRef(item), text });
    emit("response.reasoning_summary_part.done", { ...summaryRef(item), part: summaryPart(text) });
  } else if (item.kind === "refusal") {
    emit("response.refusal.done", { ...contentRef(item), refusal: text });
    emit("response.content_part.done", { ...contentRef(item), part: refusalPart(text) });
  } else if (item.kind === "message") {
    emit("response.output_text.done", { ...contentRef(item), text, logprobs: item.logprobs });
    const part = outputTextPart(text, item.logprobs, item.annotations);
    emit("response.content_part.done", { ...contentRef(item), part });
  } else if (item.tool.custom) {
    const input = customInput(text);
    emit("response.custom_tool_call_input.delta", { ...itemRef(item), delta: input });
    emit("response.custom_tool_call_input.done", { ...itemRef(item), input });
  } else {
    emit("response.function_call_arguments.done", {
      ...itemRef(item),
      name: item.tool.name,
      arguments: text,
    });
  }
  emit("response.output_item.done", { output_index: item.outputIndex, item: itemBody(item) });
}
