import type { JsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";

/** The settings about tools OpenAI's API takes only beside tools. */
const TOOL_SETTINGS = ["tool_choice", "parallel_tool_calls"] as const;

/**
 * Refuses `tool_choice` or `parallel_tool_calls` in a chat request with no tools, as OpenAI's API
 * does (400, its words): a translation would send Claude a `tool_choice` with nothing to call, or
 * leave it out for Gemini and answer a `required` call without one.
 */
export function refuseToolSettingsWithoutTools(body: JsonObject): void {
  if (Array.isArray(body.tools) && body.tools.length > 0) return;
  for (const field of TOOL_SETTINGS) {
    if (body[field] == null) continue;
    throw badRequest(
      `Invalid value for '${field}': '${field}' is only allowed when 'tools' are specified.`,
      field,
    );
  }
}
