import type { JsonObject } from "../../core/dialect.ts";

/**
 * A stored input item as `GET /v1/responses/{id}/input_items` lists it, in the shape OpenAI's API
 * gives (the official SDK's `ResponseItem`): a message always has its `type` and its content as
 * parts, a bare string becoming one `input_text` part (`output_text` in an assistant's turn).
 * What is stored stays as the client sent it, which is what goes upstream again.
 */
export function listedInputItem(item: JsonObject): JsonObject {
  const type = item.type ?? "message";
  if (type !== "message") return item;
  const content = typeof item.content === "string" ? [textPart(item.role, item.content)] : item.content;
  return { ...item, type, content, status: item.status ?? "completed" };
}

function textPart(role: unknown, text: string): JsonObject {
  return role === "assistant" ? { type: "output_text", text, annotations: [] } : { type: "input_text", text };
}
