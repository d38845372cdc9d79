import { shown } from "./cut-words.ts";
import { GatewayError } from "./gateway-error.ts";

/** OpenAI's listing of the values it takes: "'a' and 'b'", "'a', 'b', and 'c'". */
function listed(values: readonly string[]): string {
  const quoted = values.map((value) => `'${value}'`);
  if (quoted.length <= 2) return quoted.join(" and ");
  return `${quoted.slice(0, -1).join(", ")}, and ${quoted.at(-1)}`;
}

/**
 * OpenAI's 400 for a field set to a value it has not, in its words and with its code
 * (`invalid_value`), `supported` in the order its words list them: "Invalid value: 'xml'.
 * Supported values are: 'text', 'json_object', and 'json_schema'."
 */
export const invalidValue = (param: string, value: string, supported: readonly string[]) =>
  new GatewayError({
    status: 400,
    code: "invalid_request",
    message: `Invalid value: '${shown(value)}'. Supported values are: ${listed(supported)}.`,
    param,
    openAICode: "invalid_value",
  });
