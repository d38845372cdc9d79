import { partialParse } from "@anthropic-ai/sdk/_vendor/partial-json-parser/parser";
import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * A tool call's input from its arguments cut by the output limit (`finish_reason: "length"`), as
 * Anthropic's SDK reads a `tool_use` that `max_tokens` cut: its stream ends the block
 * (`content_block_stop`) after the `input_json_delta` fragments written so far, and the SDK reads
 * them with this partial parser, keeping the keys that were whole. Undefined when they are no start
 * of a JSON object (`{bad json`, `"a string"`, `[1,2`), which would make that SDK throw or give an
 * input no object. The stream forwards the fragments when there is one (messages-stream-writer.ts),
 * the whole answer gives it as the input (chat-response-to-messages.ts): one input either way.
 */
export function partialToolInput(json: string): JsonObject | undefined {
  try {
    const input: unknown = partialParse(json);
    return isJsonObject(input) ? input : undefined;
  } catch {
    return undefined;
  }
}
