import { badRequest } from "../../core/gateway-error.ts";
import { missingParameter } from "../../core/missing-parameter.ts";
import type { ResponsesItem } from "./responses-schema.ts";

/** What each item type must carry, as OpenAI's Responses API refuses an item without it. */
const REQUIRED: Readonly<Record<string, readonly (keyof ResponsesItem)[]>> = {
  message: ["role", "content"],
  function_call: ["call_id", "name", "arguments"],
  function_call_output: ["call_id", "output"],
  custom_tool_call: ["call_id", "name", "input"],
  custom_tool_call_output: ["call_id", "output"],
};

/**
 * Checks a Responses request's own input items before any translation reads them, so a bad item
 * is the caller's 400 in the Responses API's terms (`input[0].call_id`, OpenAI's words), whatever
 * the route — not a chat message's field after translation, nor an empty id sent upstream.
 */
export function checkInputItems(items: readonly ResponsesItem[]): void {
  for (const [i, item] of items.entries()) {
    for (const field of REQUIRED[item.type ?? "message"] ?? []) {
      const param = `input[${i}].${field}`;
      const value = item[field];
      if (value === undefined || value === null) throw missingParameter(param);
      if (field === "call_id" && value === "")
        throw badRequest(
          `Invalid '${param}': string too short. Expected a string with minimum length 1, but got an empty string instead.`,
          param,
        );
    }
  }
}

/** A zod issue's path as the Responses API names a parameter: `input[0].content[1].type`. */
export const responsesParam = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (name, key) =>
      typeof key === "number" ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key),
    "",
  );
