import type { JsonObject } from "../../core/dialect.ts";

/**
 * An OpenAI embeddings body as Mistral's embeddings API takes it: `dimensions` as Mistral's
 * `output_dimension`, the same ask under its name (docs.mistral.ai/api/endpoint/embeddings; its
 * schema has no `dimensions` and refuses it, 422 "Extra inputs are not permitted"); an
 * `output_dimension` the body has already wins. A copy when it changes. What else its schema has
 * not goes as for a chat body (`inMistralFields`: `user`).
 */
export function withMistralDimension(body: JsonObject): JsonObject {
  if (!("dimensions" in body)) return body;
  const { dimensions, ...rest } = body;
  return dimensions == null ? rest : { ...rest, output_dimension: body.output_dimension ?? dimensions };
}
