/**
 * A chat caller's name for a field of a Messages request chatRequestToMessages wrote from its own,
 * by the Messages path an Anthropic error leads with ("output_config.format.schema: For 'integer'
 * type, property 'minimum' is not supported"): the caller reads of the schema it sent, not of a
 * field it never did. A tool keeps its index, and a field within its schema its path there
 * (`tools.0.custom.input_schema.properties` is `tools[0].function.parameters.properties`);
 * Anthropic names a custom tool's schema with and without its `custom` branch. A rule, not a
 * table: read only when an error names a field, where a table would be built, two names a tool,
 * on every request.
 */
export function chatFieldName(field: string): string | undefined {
  if (Object.hasOwn(FIELD_NAMES, field)) return FIELD_NAMES[field];
  const tool = TOOL_SCHEMA.exec(field);
  return tool ? `tools[${tool[1]}].function.parameters${tool[2] ?? ""}` : undefined;
}

const FIELD_NAMES: Readonly<Record<string, string>> = {
  "output_config.format": "response_format",
  "output_config.format.schema": "response_format.json_schema.schema",
  stop_sequences: "stop",
};

const TOOL_SCHEMA = /^tools\.(\d+)(?:\.custom)?\.input_schema((?:\.[^.]+)*)$/;
