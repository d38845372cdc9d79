import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";

const FORMATS = ["text", "json_object", "json_schema"];

/**
 * Refuses a chat request's `response_format` that OpenAI's API cannot read, in its words and codes:
 * a type it has not (a translation took any such type for JSON mode), or one said without what it
 * needs (`type`; `json_schema` and its `name`).
 */
export function refuseUnreadableFormat(body: JsonObject): void {
  const format = body.response_format;
  if (!isJsonObject(format)) return;
  const { type } = format;
  if (type === undefined) throw missing("response_format.type");
  if (typeof type === "string" && !FORMATS.includes(type))
    throw badRequest(
      `Invalid value: '${type}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
      "response_format.type",
      "invalid_value",
    );
  if (type !== "json_schema") return;
  if (!isJsonObject(format.json_schema)) throw missing("response_format.json_schema");
  if (format.json_schema.name === undefined) throw missing("response_format.json_schema.name");
}

const missing = (param: string) =>
  badRequest(`Missing required parameter: '${param}'.`, param, "missing_required_parameter");
