import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { invalidValue } from "../core/invalid-value.ts";
import { missingParameter } from "../core/missing-parameter.ts";

/** The answer formats OpenAI takes (chat's `response_format.type`, Responses' `text.format.type`). */
export const FORMAT_TYPES = ["text", "json_object", "json_schema"] as const;
export type FormatType = (typeof FORMAT_TYPES)[number];

/** Whether `type` is one of OpenAI's answer formats. */
export const isFormatType = (type: unknown): type is FormatType =>
  (FORMAT_TYPES as readonly unknown[]).includes(type);

/**
 * Refuses a chat request's `response_format` that OpenAI's API cannot read, in its words and codes:
 * a type it has not (a translation took any such type for JSON mode), or one said without what it
 * needs (`type`; `json_schema` and its `name`).
 */
export function refuseUnreadableFormat(body: JsonObject): void {
  const format = body.response_format;
  if (!isJsonObject(format)) return;
  const { type } = format;
  if (type === undefined) throw missingParameter("response_format.type");
  if (typeof type === "string" && !isFormatType(type))
    throw invalidValue("response_format.type", type, FORMAT_TYPES);
  if (type !== "json_schema") return;
  if (!isJsonObject(format.json_schema)) throw missingParameter("response_format.json_schema");
  if (format.json_schema.name === undefined) throw missingParameter("response_format.json_schema.name");
}
