import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
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

const cohereResponse = z.looseObject({
  // `embeddings_by_type` (asked for with `embedding_types`), or the older plain list of floats.
  embeddings: z.union([z.looseObject({ float: z.array(z.array(z.number())) }), z.array(z.array(z.number()))]),
});

/**
 * Cohere Embed (v3, v4) on Bedrock: up to 96 texts a call, `input_type` required (the OpenAI body
 * may carry it; `search_document` when not), the count in a response header.
 */
const cohere: BedrockEmbedder = {
  family: "Cohere Embed",
  carries: [...CARRIED_BY_EVERY_EMBEDDINGS_TARGET, "input_type"],
  perCall: 96,
  request: (texts, ask) => ({
    texts,
    input_type: ask.extra("input_type") ?? "search_document",
    embedding_types: ["float"],
    ...(ask.dimensions !== undefined ? { output_dimension: ask.dimensions } : {}),
  }),
  answer: (body, countHeader) => {
    const { embeddings } = parseBody(cohereResponse, body, "upstream");
    return {
      vectors: Array.isArray(embeddings) ? embeddings : embeddings.float,
      inputTokens: countHeader === null ? undefined : tokenCount(Number(countHeader)),
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
      return cohere.request(texts, { ...ask, dimensions: undefined });
    },
  };
}

/** Each family served, with the model ids it answers for (the first that matches). */
const FAMILIES: readonly { readonly ids: RegExp; readonly embedder: BedrockEmbedder }[] = [
  { ids: /amazon\.titan-embed-text-v2/, embedder: titan },
  // G1's ids alone (a version suffix `:N` allowed), not a later Titan that takes other fields.
  { ids: /amazon\.titan-embed-(?:text-v1|g1-text-02)(?::\d+)?$/, embedder: titanG1 },
  { ids: /cohere\.embed-v4/, embedder: cohere },
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
