import { countTokens } from "gpt-tokenizer/encoding/o200k_base";

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

/** Bedrock's refusal of a body its schema does not take, in its words. */
const malformed = (problem: string) =>
  new EmbeddingRefusal(`Malformed input request: ${problem}, please reformat your input and try again.`);

/** A key of `request` not among `keys`: Bedrock refuses the body. */
function refuseExtraneous(request: object, keys: readonly string[]): void {
  const extra = Object.keys(request).find((key) => !keys.includes(key));
  if (extra !== undefined) throw malformed(`#: extraneous key [${extra}] is not permitted`);
}

/**
 * Titan Text Embeddings: `{inputText, dimensions?}` → `{embedding, inputTextTokenCount}`; V2 makes
 * 256, 512 or 1,024 numbers, G1 - Text takes the text alone (`model` tells them apart).
 */
export function titanAnswer(
  request: { inputText?: unknown; dimensions?: unknown },
  model = "amazon.titan-embed-text-v2:0",
): object {
  const v2 = model.includes("titan-embed-text-v2");
  refuseExtraneous(request, v2 ? ["inputText", "dimensions", "normalize", "embeddingTypes"] : ["inputText"]);
  if (typeof request.inputText !== "string") throw malformed("#: required key [inputText] not found");
  if (request.dimensions !== undefined && ![256, 512, 1024].includes(request.dimensions as number))
    throw malformed(`#/dimensions: ${request.dimensions} is not a valid enum value`);
  const dimensions = typeof request.dimensions === "number" ? request.dimensions : 4;
  return {
    embedding: vectorOf(request.inputText, dimensions),
    embeddingsByType: { float: vectorOf(request.inputText, dimensions) },
    inputTextTokenCount: wordsOf(request.inputText),
  };
}

/** The tokens Cohere Embed v4 takes in one call, its texts' together, counted here as o200k counts them. */
export const COHERE_V4_TOKEN_CAP = 128_000;

/** A Cohere Embed request's fields the fakes read. */
interface CohereRequest {
  texts?: unknown;
  input_type?: unknown;
  embedding_types?: unknown;
  output_dimension?: unknown;
}

/**
 * Cohere Embed: `{texts, input_type, embedding_types}` → embeddings by type (every type asked;
 * `int8` as rounded floats) or, without `embedding_types`, the plain list of floats; the tokens in
 * a header. v3 (1,024 numbers; kept to 4 here) takes no `output_dimension`; v4 takes 256, 512,
 * 1,024 or 1,536 (1,536 unasked; kept to 4 here) and 128,000 tokens a call.
 */
export function cohereAnswer(
  request: CohereRequest,
  model = "cohere.embed-english-v3",
): { body: object; tokens: number } {
  const v4 = model.includes("cohere.embed-v4");
  const common = ["texts", "images", "input_type", "truncate", "embedding_types"];
  refuseExtraneous(request, v4 ? [...common, "inputs", "output_dimension", "max_tokens"] : common);
  const texts = request.texts;
  if (!Array.isArray(texts) || !texts.every((text) => typeof text === "string"))
    throw malformed("#: required key [texts] not found");
  if (texts.length > 96) throw malformed(`#/texts: expected maximum item count: 96, found: ${texts.length}`);
  if (typeof request.input_type !== "string") throw malformed("#: required key [input_type] not found");
  if (
    request.output_dimension !== undefined &&
    ![256, 512, 1024, 1536].includes(request.output_dimension as number)
  )
    throw malformed(`#/output_dimension: ${request.output_dimension} is not a valid enum value`);
  if (v4 && texts.reduce((sum, text) => sum + countTokens(text), 0) > COHERE_V4_TOKEN_CAP)
    throw new EmbeddingRefusal("Input is too long for requested model.");
  const dimensions = typeof request.output_dimension === "number" ? request.output_dimension : 4;
  const vectors = texts.map((text) => vectorOf(text, dimensions));
  const types = request.embedding_types;
  const body = Array.isArray(types)
    ? {
        id: "fake-embed-1",
        response_type: "embeddings_by_type",
        embeddings: Object.fromEntries(
          types.map((type) => [
            type,
            type === "float" ? vectors : vectors.map((vector) => vector.map((x) => Math.round(x * 127))),
          ]),
        ),
        texts,
      }
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

/** Input tokens one Vertex AI `predict` call takes, its instances' together. */
export const VERTEX_TOKEN_CAP = 20_000;

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
  if (instances.length > 250)
    throw new EmbeddingRefusal(
      `Unable to submit request because the number of instances is ${instances.length} but the model supports up to 250.`,
    );
  // Google counts with its own tokenizer; o200k stands in for it here.
  const tokens = instances.reduce((n, { content }) => n + countTokens(String(content ?? "")), 0);
  if (tokens > VERTEX_TOKEN_CAP)
    throw new EmbeddingRefusal(
      `Unable to submit request because the input token count is ${tokens} but the model supports up to ${VERTEX_TOKEN_CAP}. Reduce the input token count and try again.`,
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
