import type { JsonObject, Operation } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import { MAX_MODEL_LENGTH, REQUEST_SCHEMAS } from "./request-schemas.ts";

/**
 * Checks only what the gateway itself relies on (model, stream, the operation's key field),
 * through the same zod schemas the OpenAPI document is made of; everything else is the
 * upstream's to judge, so unknown fields pass through. The first problem is reported, with the
 * field at fault as its `param`.
 */
export function validateBody(operation: Operation, body: JsonObject): string {
  const plain = plainModel(operation, body);
  if (plain !== undefined) return plain;
  const parsed = REQUEST_SCHEMAS[operation].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "");
    throw badRequest(
      issue?.message ?? "invalid request",
      field,
      field === "model" && issue?.code !== "too_big" ? "missing_model" : undefined,
    );
  }
  return parsed.data.model;
}

/**
 * The model of a body that plainly has the shape its schema asks for (the schemas in
 * request-schemas.ts, checked as they check), without zod: its parse builds a copy of the body and
 * of its message list only to be thrown away, about 1.5 KB per request on the hot path. Undefined
 * when not plainly so: the schema then decides, and words any error.
 */
function plainModel(operation: Operation, body: JsonObject): string | undefined {
  const { model, stream } = body;
  if (typeof model !== "string" || model.length === 0 || model.length > MAX_MODEL_LENGTH) return undefined;
  if (stream != null && typeof stream !== "boolean") return undefined;
  switch (operation) {
    case "chat":
      return Array.isArray(body.messages) ? model : undefined;
    case "messages":
      // Anthropic's `stream` is a boolean or absent, never null (translate/anthropic-schema.ts).
      return Array.isArray(body.messages) && isPositiveInteger(body.max_tokens) && stream !== null
        ? model
        : undefined;
    case "responses":
      return model;
    default:
      return undefined;
  }
}

const isPositiveInteger = (value: unknown): boolean =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0;
