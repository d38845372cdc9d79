import type { JsonObject } from "../../src/core/dialect.ts";

// Test support, not shipped: Mistral's embeddings API (POST /v1/embeddings) as far as the
// gateway's requests meet it. Its schema (docs.mistral.ai/api/endpoint/embeddings; mistralai's
// OpenAPI `EmbeddingRequest`) has `model`, `input`, `output_dimension`, `output_dtype`,
// `encoding_format` (float or base64) and `metadata`; any other field is refused as its chat
// request's are, 422 `extra_forbidden` ("Extra inputs are not permitted"): OpenAI's `dimensions`
// among them, which callers pointing OpenAI clients at it met (plastic-labs/honcho #772 lists
// mistral-embed among the models that reject `dimensions`).

const EMBEDDING_FIELDS = new Set([
  "model",
  "input",
  "output_dimension",
  "output_dtype",
  "encoding_format",
  "metadata",
]);

/** codestral-embed's vectors unless `output_dimension` asks fewer (up to 3,072). */
const DEFAULT_DIMENSION = 1536;

/** Mistral's answer to an embeddings body: its 422 for a field it has not, else a vector an input. */
export function mistralEmbeddings(body: JsonObject): Response {
  const extra = Object.entries(body).filter(([field]) => !EMBEDDING_FIELDS.has(field));
  if (extra.length > 0)
    return Response.json(
      {
        detail: extra.map(([field, input]) => ({
          type: "extra_forbidden",
          loc: ["body", field],
          msg: "Extra inputs are not permitted",
          input,
        })),
      },
      { status: 422 },
    );
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const size = typeof body.output_dimension === "number" ? body.output_dimension : DEFAULT_DIMENSION;
  const data = inputs.map((_, index) => {
    const vector = Array.from({ length: size }, (_, i) => (i % 7) / 8 - 0.25);
    const embedding =
      body.encoding_format === "base64"
        ? Buffer.from(new Float32Array(vector).buffer).toString("base64")
        : vector;
    return { object: "embedding", embedding, index };
  });
  return Response.json({
    id: "emb-1",
    object: "list",
    data,
    model: String(body.model),
    usage: { prompt_tokens: inputs.length * 2, total_tokens: inputs.length * 2, completion_tokens: 0 },
  });
}
