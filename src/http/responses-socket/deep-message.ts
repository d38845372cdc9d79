import { isJsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { openAIWireError } from "../../core/openai-errors.ts";
import { MAX_JSON_DEPTH } from "../json-depth.ts";
import type { Overflow } from "./waiting-turns.ts";

/** A message nested deeper than a body may be: the POST's own refusal (read-json-body.ts), 400 `invalid_json`. */
export function tooDeep(): Overflow {
  const why = badRequest(
    `request body nests deeper than ${MAX_JSON_DEPTH} levels`,
    undefined,
    "invalid_json",
  );
  return { why, refused: { status: why.status, ...openAIWireError(why) } };
}

/**
 * What the row of a message too deep to serialise again records of it: its `type`, `model` and
 * `stream_id` (the model it asked for, the lane it named), never the rest.
 */
export function shallowOf(message: unknown): Record<string, string> | null {
  if (!isJsonObject(message)) return null;
  const kept: Record<string, string> = {};
  for (const key of ["type", "model", "stream_id"]) {
    const value = message[key];
    if (typeof value === "string") kept[key] = value;
  }
  return kept;
}
