import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest, upstreamError } from "../../core/gateway-error.ts";
import { CARRIED_BY_EVERY_EMBEDDINGS_TARGET } from "../embeddings-target.ts";
import type { Embedded, EmbeddingsAsk } from "../openai-embeddings.ts";
import { parseBody } from "../parse-body.ts";
import { tokenCount } from "../usage-mapping.ts";

/**
 * How one family of Bedrock embedding models is called through `InvokeModel`: Converse has no
 * embeddings, so each family's own body goes to `/model/{id}/invoke`.
 */
export interface BedrockEmbedder {
  /** The family, as a refusal names the families served. */
  readonly family: string;
  /**
   * The top-level fields of an OpenAI body it carries (`EmbeddingsTarget.carries`): every
   * target's, and the family's own; one list, made once.
   */
  readonly carries: readonly string[];
  /** Texts one call may carry. */
  readonly perCall: number;
  /**
   * Input tokens one call may carry in all, as the o200k tokenizer counts them, where the family
   * caps them (`tokenCappedCall`): Cohere Embed v4.
   */
  readonly tokensPerCall?: number;
  request(texts: readonly string[], ask: EmbeddingsAsk): JsonObject;
  /** Reads an answer; `countHeader` is `X-Amzn-Bedrock-Input-Token-Count`, where the body has no count. */
  answer(body: unknown, countHeader: string | null): Embedded;
}

const titanResponse = z.looseObject({ embedding: z.array(z.number()), inputTextTokenCount: z.number() });

/**
 * Amazon Titan Text Embeddings V2: one text a call, `{inputText, dimensions?}` → `{embedding,
 * inputTextTokenCount}`; `dimensions` one of the three sizes it makes (a 400 from AWS otherwise).
 */
const titan: BedrockEmbedder = {
  family: "Amazon Titan Text",
  carries: CARRIED_BY_EVERY_EMBEDDINGS_TARGET,
  perCall: 1,
  request: ([inputText], ask) => {
    if (ask.dimensions !== undefined && !TITAN_V2_SIZES.includes(ask.dimensions))
      throw badRequest(
        `Amazon Titan Text Embeddings V2 makes vectors of 256, 512 or 1024 dimensions, not ${ask.dimensions}`,
        "dimensions",
      );
    return {
      inputText: inputText ?? "",
      ...(ask.dimensions !== undefined ? { dimensions: ask.dimensions } : {}),
    };
  },
  answer: (body) => {
    const answer = parseBody(titanResponse, body, "upstream");
    return { vectors: [answer.embedding], inputTokens: tokenCount(answer.inputTextTokenCount) };
  },
};

const TITAN_V2_SIZES: readonly number[] = [256, 512, 1024];

/** The one size of Titan Embeddings G1 - Text's vectors. */
const TITAN_G1_SIZE = 1536;

/**
 * Titan Embeddings G1 - Text (`amazon.titan-embed-text-v1`, `-g1-text-02`): `inputText` is its only
 * field (AWS refuses any other key), its vectors 1,536 numbers: `dimensions` 1536 asks what it
 * makes anyway (a client that always names its size) and is left out; any other is a 400.
 */
const titanG1: BedrockEmbedder = {
  ...titan,
  request: (texts, ask) => {
    if (ask.dimensions !== undefined && ask.dimensions !== TITAN_G1_SIZE)
      throw badRequest(
        `Amazon Titan Embeddings G1 - Text vectors have ${TITAN_G1_SIZE} dimensions, no other size: ask ${TITAN_G1_SIZE} or leave dimensions out`,
        "dimensions",
      );
    return { inputText: texts[0] ?? "" };
  },
};

const cohereVectors = z.array(z.array(z.number()));

const cohereResponse = z.looseObject({
  /*
   * `embeddings_by_type`: a list a type asked for with `embedding_types` (`{float, int8, …}`); or
   * `embeddings_floats`, the plain list of floats: v3's without `embedding_types`, and v4's, which
   * AWS documents answering one type asked so.
   */
  embeddings: z.union([cohereVectors, z.looseObject({ float: cohereVectors.optional() })]),
  // Cohere's own API counts here; Bedrock counts in a header. Read where the header is missing.
  meta: z.looseObject({ billed_units: z.looseObject({ input_tokens: z.unknown() }).optional() }).optional(),
});

/**
 * Cohere Embed (v3, v4) on Bedrock: up to 96 texts a call, `input_type` required (the OpenAI body
 * may carry it; `search_document` when not), float vectors asked for (what an OpenAI caller gets,
 * base64 included: the gateway writes float32 itself), the count in a response header.
 */
const cohere: BedrockEmbedder = {
  family: "Cohere Embed",
  carries: [...CARRIED_BY_EVERY_EMBEDDINGS_TARGET, "input_type"],
  perCall: 96,
  request: (texts, ask) => ({
    texts,
    input_type: ask.extra("input_type") ?? "search_document",
    embedding_types: ["float"],
  }),
  answer: (body, countHeader) => {
    const { embeddings, meta } = parseBody(cohereResponse, body, "upstream");
    if (!Array.isArray(embeddings) && embeddings.float === undefined)
      throw upstreamError(
        `upstream sent Cohere embeddings of type ${Object.keys(embeddings).join(", ") || "none"}, not the float asked for`,
      );
    const counted = countHeader === null ? undefined : tokenCount(Number(countHeader));
    return {
      vectors: Array.isArray(embeddings) ? embeddings : (embeddings.float ?? []),
      inputTokens: counted ?? tokenCount(meta?.billed_units?.input_tokens),
    };
  },
};

/**
 * Cohere Embed v3: vectors of one size (1,024; the light models' 384), no `output_dimension` to
 * ask for. `dimensions` naming that size asks what it makes anyway (a client that always names
 * its size) and is left out; any other is a 400.
 */
function cohereV3(name: string, size: number): BedrockEmbedder {
  return {
    ...cohere,
    request: (texts, ask) => {
      if (ask.dimensions !== undefined && ask.dimensions !== size)
        throw badRequest(
          `${name} vectors have ${size} dimensions, no other size: ask ${size} or leave dimensions out`,
          "dimensions",
        );
      return cohere.request(texts, ask);
    },
  };
}

/** The sizes Cohere Embed v4 makes (`output_dimension`; 1,536 when not asked). */
const COHERE_V4_SIZES: readonly number[] = [256, 512, 1024, 1536];

/**
 * Input tokens one Cohere Embed v4 call may carry, as the o200k tokenizer counts them: AWS caps a
 * request at 128,000 of Cohere's (its texts' together), a quarter held back for the difference of
 * tokenizers, as for Vertex AI.
 */
export const COHERE_V4_TOKENS_PER_CALL = 96_000;

/**
 * Cohere Embed v4: `dimensions` is `output_dimension`, one of the four sizes it makes (any other
 * a 400 naming `dimensions`, before AWS's ValidationException); 96 texts a call, and 128,000
 * tokens.
 */
const cohereV4: BedrockEmbedder = {
  ...cohere,
  tokensPerCall: COHERE_V4_TOKENS_PER_CALL,
  request: (texts, ask) => {
    if (ask.dimensions !== undefined && !COHERE_V4_SIZES.includes(ask.dimensions))
      throw badRequest(
        `Cohere Embed v4 makes vectors of 256, 512, 1024 or 1536 dimensions, not ${ask.dimensions}`,
        "dimensions",
      );
    return {
      ...cohere.request(texts, ask),
      ...(ask.dimensions !== undefined ? { output_dimension: ask.dimensions } : {}),
    };
  },
};

/** Each family served, with the model ids it answers for (the first that matches). */
const FAMILIES: readonly { readonly ids: RegExp; readonly embedder: BedrockEmbedder }[] = [
  { ids: /amazon\.titan-embed-text-v2/, embedder: titan },
  // G1's ids alone (a version suffix `:N` allowed), not a later Titan that takes other fields.
  { ids: /amazon\.titan-embed-(?:text-v1|g1-text-02)(?::\d+)?$/, embedder: titanG1 },
  { ids: /cohere\.embed-v4/, embedder: cohereV4 },
  {
    ids: /cohere\.embed-(?:english|multilingual)-light-v3/,
    embedder: cohereV3("Cohere Embed v3 light", 384),
  },
  { ids: /cohere\.embed/, embedder: cohereV3("Cohere Embed v3", 1024) },
];

/** The families served, for a refusal: "Amazon Titan Text and Cohere Embed". */
export const BEDROCK_EMBEDDING_FAMILIES = [...new Set(FAMILIES.map(({ embedder }) => embedder.family))].join(
  " and ",
);

/**
 * The embedder for a Bedrock model id (a base model, or a cross-region profile such as
 * `us.cohere.embed-v4:0`), or undefined for a model of no family known here.
 */
export function bedrockEmbedder(model: string): BedrockEmbedder | undefined {
  return FAMILIES.find(({ ids }) => ids.test(model))?.embedder;
}
