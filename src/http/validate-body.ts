import type { JsonObject, Operation } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import { REQUEST_SCHEMAS } from "./request-schemas.ts";

/**
 * Checks only what the gateway itself relies on (model, stream, the operation's key field),
 * through the same zod schemas the OpenAPI document is made of; everything else is the
 * upstream's to judge, so unknown fields pass through. The first problem is reported, with the
 * field at fault as its `param`.
 */
export function validateBody(operation: Operation, body: JsonObject): string {
  const parsed = REQUEST_SCHEMAS[operation].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "");
    throw badRequest(
      issue?.message ?? "invalid request",
      field,
      field === "model" ? "missing_model" : undefined,
    );
  }
  return parsed.data.model;
}
