import type { JsonObject } from "../../core/dialect.ts";

/**
 * A chat caller's names for the fields of a Messages request chatRequestToMessages wrote from its
 * own, by the Messages path an Anthropic error leads with ("output_config.format.schema: For
 * 'integer' type, property 'minimum' is not supported"): the caller reads of the schema it sent,
 * not of a field it never did. A tool keeps its index; Anthropic names a custom tool's schema
 * with and without its `custom` branch.
 */
export function chatFieldNames(messages: JsonObject): Readonly<Record<string, string>> {
  const names: Record<string, string> = { ...FORMAT_NAMES };
  const tools = Array.isArray(messages.tools) ? messages.tools.length : 0;
  for (let i = 0; i < tools; i++) {
    names[`tools.${i}.input_schema`] = `tools[${i}].function.parameters`;
    names[`tools.${i}.custom.input_schema`] = `tools[${i}].function.parameters`;
  }
  return names;
}

const FORMAT_NAMES = {
  "output_config.format": "response_format",
  "output_config.format.schema": "response_format.json_schema.schema",
} as const;
