/**
 * The cloud vendors' embedding answers, as each sends them: Bedrock's Titan and Cohere bodies
 * through InvokeModel, the Gemini API's `batchEmbedContents` and Vertex AI's `predict`. Each
 * vector is made from its text (so a test can compute what it must get back), `dimensions`
 * long; the token counts are the text's words, so a test can tell a vendor's count from an
 * estimate.
 */

/** The vector every fake answers for `text`: `dimensions` numbers made from its characters. */
export function vectorOf(text: string, dimensions = 4): number[] {
  return Array.from({ length: dimensions }, (_, i) => {
    let h = 2166136261 ^ (i + 1);
    for (let c = 0; c < text.length; c++) h = Math.imul(h ^ text.charCodeAt(c), 16777619);
    return ((h >>> 0) % 20_000) / 10_000 - 1;
  });
}

/** What the fakes count as a text's tokens: its words. */
export const wordsOf = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** A vendor's refusal of an embeddings body, in the vendor's own words. */
export class EmbeddingRefusal extends Error {}

/** Titan Text Embeddings: `{inputText, dimensions?}` → `{embedding, inputTextTokenCount}`. */
export function titanAnswer(request: { inputText?: unknown; dimensions?: unknown }): object {
  if (typeof request.inputText !== "string")
    throw new EmbeddingRefusal("Malformed input request: #: required key [inputText] not found");
  const dimensions = typeof request.dimensions === "number" ? request.dimensions : 4;
  return {
    embedding: vectorOf(request.inputText, dimensions),
    embeddingsByType: { float: vectorOf(request.inputText, dimensions) },
    inputTextTokenCount: wordsOf(request.inputText),
  };
}

/** Cohere Embed: `{texts, input_type, embedding_types}` → embeddings by type, tokens in a header. */
export function cohereAnswer(request: { texts?: unknown; input_type?: unknown; embedding_types?: unknown }): {
  body: object;
  tokens: number;
} {
  const texts = request.texts;
  if (!Array.isArray(texts) || !texts.every((text) => typeof text === "string"))
    throw new EmbeddingRefusal("Malformed input request: #: required key [texts] not found");
  if (texts.length > 96)
    throw new EmbeddingRefusal("Malformed input request: #/texts: expected maximum item count: 96");
  if (typeof request.input_type !== "string")
    throw new EmbeddingRefusal("Malformed input request: #: required key [input_type] not found");
  const vectors = texts.map((text) => vectorOf(text));
  const body = Array.isArray(request.embedding_types)
    ? { id: "fake-embed-1", response_type: "embeddings_by_type", embeddings: { float: vectors }, texts }
    : { id: "fake-embed-1", response_type: "embeddings_floats", embeddings: vectors, texts };
  return { body, tokens: texts.reduce((sum, text) => sum + wordsOf(text), 0) };
}

interface GeminiEmbedRequest {
  model?: unknown;
  content?: { parts?: Array<{ text?: unknown }> };
  outputDimensionality?: unknown;
}

/** The Gemini API's `batchEmbedContents`: every request names the model; at most 100; no counts. */
export function geminiBatchAnswer(model: string, request: { requests?: GeminiEmbedRequest[] }): object {
  const requests = request.requests;
  if (!Array.isArray(requests) || requests.length === 0)
    throw new EmbeddingRefusal("* BatchEmbedContentsRequest.requests: requests is required");
  if (requests.length > 100)
    throw new EmbeddingRefusal(
      "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch",
    );
  return {
    embeddings: requests.map((one, i) => {
      if (one.model !== `models/${model}`)
        throw new EmbeddingRefusal(
          `* BatchEmbedContentsRequest.requests[${i}].model: does not match the batch's model`,
        );
      const text = one.content?.parts?.map((part) => String(part.text ?? "")).join("") ?? "";
      const dimensions = typeof one.outputDimensionality === "number" ? one.outputDimensionality : 4;
      return { values: vectorOf(text, dimensions) };
    }),
  };
}

/** Vertex AI's `predict`: instances with `content`; one a call for the Gemini embedding models. */
export function vertexPredictAnswer(
  model: string,
  request: { instances?: Array<{ content?: unknown }>; parameters?: { outputDimensionality?: unknown } },
): object {
  const instances = request.instances;
  if (!Array.isArray(instances) || instances.length === 0)
    throw new EmbeddingRefusal("instances is required");
  if (model.startsWith("gemini-embedding") && instances.length > 1)
    throw new EmbeddingRefusal(
      "Unable to submit request because the model supports only 1 instance per request",
    );
  const dimensions =
    typeof request.parameters?.outputDimensionality === "number"
      ? request.parameters.outputDimensionality
      : 4;
  return {
    predictions: instances.map(({ content }) => {
      const text = String(content ?? "");
      return {
        embeddings: {
          statistics: { truncated: false, token_count: wordsOf(text) },
          values: vectorOf(text, dimensions),
        },
      };
    }),
    metadata: {
      billableCharacterCount: instances.reduce((n, { content }) => n + String(content ?? "").length, 0),
    },
  };
}
