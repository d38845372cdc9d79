import { partialParse } from "@anthropic-ai/sdk/_vendor/partial-json-parser/parser";
import { isJsonObject } from "../../core/dialect.ts";

/**
 * Whether a tool call's arguments, cut by the output limit (`finish_reason: "length"`), are the
 * start of a JSON object, as Anthropic streams a `tool_use` that `max_tokens` cut: its block ends
 * (`content_block_stop`) after the `input_json_delta` fragments written so far, and its SDK reads
 * them with this partial parser, keeping the keys that were whole. Anything else (`{bad json`, `"a
 * string"`, `[1,2`) would make that SDK throw or give an input no object.
 */
export function objectCutShort(json: string): boolean {
  try {
    return isJsonObject(partialParse(json));
  } catch {
    return false;
  }
}
