import { describe, expect, test } from "bun:test";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { gatewayErrorOf } from "../testing/gateway-error-of.ts";
import { jsonFixture } from "./fixtures/load-fixture.ts";
import { type Embedded, embeddingsAnswer, readEmbeddingsAsk } from "./openai-embeddings.ts";
import { bedrockEmbedder, COHERE_V4_TOKENS_PER_CALL } from "./openai-to-bedrock/embeddings-to-invoke.ts";
import {
  geminiEmbedAnswer,
  geminiEmbedRequest,
  VERTEX_TOKENS_PER_CALL,
  vertexCallCap,
  vertexPredictAnswer,
  vertexPredictRequest,
} from "./openai-to-gemini/embeddings-to-google.ts";

// OpenAI embeddings to Bedrock (Titan, Cohere), the Gemini API and Vertex AI, and back: the
// request read once, each vendor's body, each vendor's answer (fixtures of their documented
// shapes), and the OpenAI answer with its encodings and token counts.

const ask = (body: JsonObject) => readEmbeddingsAsk({ model: "m", ...body }, "cloud");

/** The usage an OpenAI caller of `texts` is told, from a vendor's answer read as `Embedded`. */
const usageTold = async (texts: string[], embedded: Embedded) =>
  (await embeddingsAnswer("cloud", ask({ input: texts }), "m", embedded)).usage;

/** The o200k tokenizer's count of `texts`: the estimate where a vendor gave no count. */
const estimated = (texts: readonly string[]) => {
  const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  return { prompt_tokens: tokens, total_tokens: tokens };
};

describe("the OpenAI request", () => {
  test("a string or a list of strings are the texts; dimensions and base64 read", () => {
    expect(ask({ input: "one" }).texts).toEqual(["one"]);
    const many = ask({ input: ["a", "b"], dimensions: 256, encoding_format: "base64" });
    expect([many.texts, many.dimensions, many.base64]).toEqual([["a", "b"], 256, true]);
    expect(ask({ input: "x" }).base64).toBe(false);
  });

  test("a vendor's own field comes through as text, and only as text", () => {
    const read = ask({ input: "x", task_type: "RETRIEVAL_QUERY", input_type: 3 });
    expect(read.extra("task_type")).toBe("RETRIEVAL_QUERY");
    expect(read.extra("input_type")).toBeUndefined();
  });

  test("token ids are a 400 naming input; so are a bad dimensions and encoding", () => {
    for (const input of [[1, 2, 3], [[1, 2]]]) {
      const error = gatewayErrorOf(() => ask({ input }));
      expect([error.status, error.param]).toEqual([400, "input"]);
      expect(error.message).toBe(
        "input: token ids cannot be sent to provider cloud, which embeds text: send the texts themselves. " +
          "LangChain's OpenAIEmbeddings (Python) sends token ids unless made with check_embedding_ctx_length=False",
      );
    }
    expect(gatewayErrorOf(() => ask({ input: "x", dimensions: 0 })).param).toBe("dimensions");
    expect(gatewayErrorOf(() => ask({ input: "x", encoding_format: "int8" })).param).toBe("encoding_format");
    expect(gatewayErrorOf(() => ask({ input: [] })).param).toBe("input");
  });
  test("more than 2,048 inputs is OpenAI's 400 on input; 2,048 are read, and one list of ids is one input", () => {
    const texts = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
    expect(ask({ input: texts(2048) }).texts).toHaveLength(2048);
    const error = gatewayErrorOf(() => ask({ input: texts(2049) }));
    expect([error.status, error.param, error.message]).toEqual([
      400,
      "input",
      "'$.input' is invalid: 2049 inputs, and an array of inputs must be 2048 or less; send at most 2048 inputs a request",
    ]);
    // 3,000 ids are one input: refused as ids, not as a count.
    const ids = Array.from({ length: 3000 }, (_, i) => i);
    expect(gatewayErrorOf(() => ask({ input: ids })).message).toContain("token ids cannot be sent");
    expect(gatewayErrorOf(() => ask({ input: ids.map((id) => [id]) })).message).toContain(
      "'$.input' is invalid",
    );
  });

  test("an empty text is a 400 naming input, as OpenAI's is, before any vendor is called", () => {
    // Titan takes one text a call: the calls before an empty one's refusal would have been billed.
    for (const input of ["", ["a", "b", ""], ["", "a"]]) {
      const error = gatewayErrorOf(() => ask({ input }));
      expect([error.status, error.param]).toEqual([400, "input"]);
      expect(error.message).toContain("an empty string");
    }
    expect(gatewayErrorOf(() => ask({ input: ["a", "", "b"] })).message).toContain("input[1]");
    // Whitespace is text: OpenAI embeds it.
    expect(ask({ input: [" "] }).texts).toEqual([" "]);
  });
});

describe("the OpenAI answer", () => {
  test("floats as they came, indexed in order, with the vendor's count", async () => {
    const answer = await embeddingsAnswer("cloud", ask({ input: ["a", "b"] }), "m", {
      vectors: [
        [0.5, -1],
        [0.25, 2],
      ],
      inputTokens: 9,
    });
    expect(answer).toEqual({
      object: "list",
      data: [
        { object: "embedding", index: 0, embedding: [0.5, -1] },
        { object: "embedding", index: 1, embedding: [0.25, 2] },
      ],
      model: "m",
      usage: { prompt_tokens: 9, total_tokens: 9 },
    });
  });

  test("base64 is each vector's little-endian float32 bytes, as the OpenAI SDKs decode it", async () => {
    const vector = [0.1, -2.5, 3e-7];
    const answer = await embeddingsAnswer("cloud", ask({ input: "a", encoding_format: "base64" }), "m", {
      vectors: [vector],
      inputTokens: 1,
    });
    const text = (answer.data as unknown as { embedding: string }[])[0]?.embedding ?? "";
    const bytes = Buffer.from(text, "base64");
    expect(bytes.length).toBe(12);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    expect([0, 1, 2].map((i) => view.getFloat32(i * 4, true))).toEqual(vector.map(Math.fround));
  });

  test("a vendor that counted nothing gets the o200k tokenizer's count, never 0", async () => {
    const texts = ["Embeddings are vectors.", "Another one, longer than the first"];
    const answer = await embeddingsAnswer("cloud", ask({ input: texts }), "m", {
      vectors: [[1], [2]],
      inputTokens: undefined,
    });
    const expected = countTokens(texts[0] ?? "") + countTokens(texts[1] ?? "");
    expect(answer.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });
  });

  test("an answer with fewer vectors than texts is the upstream's fault: a 502", async () => {
    const error = await embeddingsAnswer("cloud", ask({ input: ["a", "b"] }), "m", {
      vectors: [[1]],
      inputTokens: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toContain("answered 1 embeddings for 2 inputs");
  });
});

describe("Google", () => {
  test("Gemini API: a batchEmbedContents request per text, each naming the model", () => {
    const body = geminiEmbedRequest("gemini-embedding-001", ["a", "b"], ask({ input: "x", dimensions: 768 }));
    expect(body).toEqual({
      requests: [
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "a" }] },
          outputDimensionality: 768,
        },
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "b" }] },
          outputDimensionality: 768,
        },
      ],
    });
    const tasked = geminiEmbedRequest("g", ["a"], ask({ input: "x", task_type: "CLUSTERING" }));
    expect(tasked.requests).toEqual([
      { model: "models/g", content: { parts: [{ text: "a" }] }, taskType: "CLUSTERING" },
    ]);
  });

  test("Gemini API: its answer's vectors, and no count", () => {
    expect(geminiEmbedAnswer(jsonFixture("gemini/batch-embed-contents.json"))).toEqual({
      vectors: [
        [0.0131, -0.0087, 0.0204],
        [-0.0112, 0.0245, 0.0009],
      ],
      inputTokens: undefined,
    });
  });

  test("Vertex AI: predict instances, its answer's vectors and summed counts", async () => {
    expect(
      vertexPredictRequest(["a", "b"], ask({ input: "x", dimensions: 256, task_type: "RETRIEVAL_QUERY" })),
    ).toEqual({
      instances: [
        { content: "a", task_type: "RETRIEVAL_QUERY" },
        { content: "b", task_type: "RETRIEVAL_QUERY" },
      ],
      parameters: { outputDimensionality: 256 },
    });
    expect(vertexPredictRequest(["a"], ask({ input: "x" }))).toEqual({ instances: [{ content: "a" }] });
    expect(vertexPredictAnswer(jsonFixture("gemini/vertex-predict-embeddings.json"))).toEqual({
      vectors: [
        [0.0325, -0.0132, 0.0518],
        [-0.0071, 0.029, -0.0443],
      ],
      inputTokens: 10,
    });
    expect(await vertexCallCap("gemini-embedding-001")).toEqual({ texts: 1 });
    expect(await vertexCallCap("text-embedding-005")).toMatchObject({
      texts: 250,
      tokens: { most: VERTEX_TOKENS_PER_CALL },
    });
  });

  test("Vertex AI: the bound a text is counted past (its UTF-8 bytes) is never under its o200k count", async () => {
    const { tokens } = await vertexCallCap("text-embedding-005");
    const texts = [
      "",
      "a",
      "hello world",
      "日本語のテキスト",
      "😀🎉",
      "\uD800 lone",
      "é".repeat(64),
      " ".repeat(300),
    ];
    for (const text of texts)
      expect(tokens?.count(text) ?? 0).toBeLessThanOrEqual(tokens?.atMost?.(text) ?? -1);
    expect(tokens?.atMost?.("日本")).toBe(6);
  });

  test("Gemini API: a count that is none (-100000, 0.5) is estimated, as a missing one is, never told", async () => {
    const texts = ["hello world", "abc"];
    const answer = (promptTokenCount: number) =>
      geminiEmbedAnswer({
        embeddings: [{ values: [1] }, { values: [2] }],
        usageMetadata: { promptTokenCount },
      });
    for (const bad of [-100000, 0.5]) expect(await usageTold(texts, answer(bad))).toEqual(estimated(texts));
    expect(await usageTold(texts, answer(7))).toEqual({ prompt_tokens: 7, total_tokens: 7 });
  });

  test("Vertex AI: one text's count that is none (-50, 3.5) leaves the sum to the estimate", async () => {
    const texts = ["hello world", "abc"];
    const answer = (...counts: number[]) =>
      vertexPredictAnswer({
        predictions: counts.map((token_count) => ({
          embeddings: { values: [1], statistics: { token_count } },
        })),
      });
    expect(await usageTold(texts, answer(-50, 3.5))).toEqual(estimated(texts));
    // A bad count beside a good one would hide in the sum (-50 + 53 = 3): it is no count either.
    expect(answer(-50, 53).inputTokens).toBeUndefined();
    expect(answer(3, 4).inputTokens).toBe(7);
  });

  test("an answer of another shape is a 502", () => {
    expect(gatewayErrorOf(() => geminiEmbedAnswer({ embedding: { values: [1] } })).status).toBe(502);
    expect(gatewayErrorOf(() => vertexPredictAnswer({ predictions: [{ values: [1] }] })).status).toBe(502);
  });
});

describe("Bedrock", () => {
  test("the family by model id, cross-region profiles included; others have none", () => {
    expect(bedrockEmbedder("amazon.titan-embed-text-v2:0")?.family).toBe("Amazon Titan Text");
    expect(bedrockEmbedder("amazon.titan-embed-g1-text-02")?.family).toBe("Amazon Titan Text");
    expect(bedrockEmbedder("us.cohere.embed-v4:0")?.family).toBe("Cohere Embed");
    expect(bedrockEmbedder("amazon.titan-embed-image-v1")).toBeUndefined();
    // G1 by its own ids only, a version suffix allowed; not a Titan text model to come.
    expect(bedrockEmbedder("amazon.titan-embed-text-v1:2")?.family).toBe("Amazon Titan Text");
    expect(bedrockEmbedder("amazon.titan-embed-text-v3")).toBeUndefined();
    expect(bedrockEmbedder("amazon.titan-embed-text-v10:0")).toBeUndefined();
    expect(bedrockEmbedder("anthropic.claude-3-5-sonnet-20240620-v1:0")).toBeUndefined();
  });

  test("Titan: one text a call, dimensions, its answer and count", () => {
    const titan = bedrockEmbedder("amazon.titan-embed-text-v2:0");
    expect(titan?.perCall).toBe(1);
    expect(titan?.request(["hello"], ask({ input: "x", dimensions: 512 }))).toEqual({
      inputText: "hello",
      dimensions: 512,
    });
    expect(titan?.answer(jsonFixture("bedrock/invoke-titan-embed-v2.json"), null)).toEqual({
      vectors: [[-0.0461, 0.0377, 0.0042, -0.0589]],
      inputTokens: 7,
    });
  });

  test("Titan: G1 takes only its 1536 (left out of the body) and v2 only 256, 512 or 1024: any other is a 400 naming it", () => {
    for (const model of ["amazon.titan-embed-text-v1", "amazon.titan-embed-g1-text-02"]) {
      const g1 = bedrockEmbedder(model);
      expect(g1?.request(["hello"], ask({ input: "x" }))).toEqual({ inputText: "hello" });
      expect(g1?.request(["hello"], ask({ input: "x", dimensions: 1536 }))).toEqual({ inputText: "hello" });
      const error = gatewayErrorOf(() => g1?.request(["hello"], ask({ input: "x", dimensions: 512 })));
      expect([error.status, error.param]).toEqual([400, "dimensions"]);
    }
    const v2 = bedrockEmbedder("us.amazon.titan-embed-text-v2:0");
    for (const dimensions of [256, 512, 1024])
      expect(v2?.request(["hello"], ask({ input: "x", dimensions }))).toEqual({
        inputText: "hello",
        dimensions,
      });
    const error = gatewayErrorOf(() => v2?.request(["hello"], ask({ input: "x", dimensions: 768 })));
    expect([error.status, error.param]).toEqual([400, "dimensions"]);
    expect(error.message).toContain("256, 512 or 1024");
  });

  test("Cohere v3: its own size (1024; the light models' 384) is taken and left out of the body; any other is a 400 naming it", () => {
    const sizes = [
      ["cohere.embed-english-v3", 1024],
      ["us.cohere.embed-multilingual-v3:0", 1024],
      ["cohere.embed-english-light-v3", 384],
      ["cohere.embed-multilingual-light-v3:0", 384],
    ] as const;
    for (const [model, native] of sizes) {
      const v3 = bedrockEmbedder(model);
      expect(v3?.request(["a"], ask({ input: "x", dimensions: native }))).toEqual({
        texts: ["a"],
        input_type: "search_document",
        embedding_types: ["float"],
      });
      const error = gatewayErrorOf(() => v3?.request(["a"], ask({ input: "x", dimensions: 512 })));
      expect([error.status, error.param]).toEqual([400, "dimensions"]);
      expect(error.message).toContain(String(native));
    }
  });

  test("Titan: a count that is none (-5, 0.5) is estimated, and read as none before calls' counts are summed", async () => {
    const titan = bedrockEmbedder("amazon.titan-embed-text-v2:0");
    if (!titan) throw new Error("Titan has no embedder");
    for (const bad of [-5, 0.5]) {
      const embedded = titan.answer({ embedding: [1], inputTextTokenCount: bad }, null);
      // One text a call: the calls' counts are summed (embed-in-calls.ts), where -5 + 10 would be 5.
      expect(embedded.inputTokens).toBeUndefined();
      expect(await usageTold(["hello world"], embedded)).toEqual(estimated(["hello world"]));
    }
  });

  test("Cohere: 96 texts a call, input_type search_document unless given, the count from the header", () => {
    const cohere = bedrockEmbedder("cohere.embed-english-v3");
    expect(cohere?.perCall).toBe(96);
    expect(cohere?.request(["a", "b"], ask({ input: "x" }))).toEqual({
      texts: ["a", "b"],
      input_type: "search_document",
      embedding_types: ["float"],
    });
    // v3's size is fixed, and asking for another is a 400 (v4's sizes: below).
    expect(cohere?.request(["a"], ask({ input: "x", input_type: "search_query" }))).toMatchObject({
      input_type: "search_query",
    });
    expect(gatewayErrorOf(() => cohere?.request(["a"], ask({ input: "x", dimensions: 256 }))).param).toBe(
      "dimensions",
    );
    const fixture = jsonFixture("bedrock/invoke-cohere-embed.json");
    expect(cohere?.answer(fixture, "5")).toEqual({
      vectors: [
        [0.0151, -0.0293, 0.0402],
        [0.0218, 0.0039, -0.0377],
      ],
      inputTokens: 5,
    });
    // The older answer without embedding_types; a missing or garbled header counts nothing.
    expect(cohere?.answer({ embeddings: [[1, 2]], response_type: "embeddings_floats" }, null)).toEqual({
      vectors: [[1, 2]],
      inputTokens: undefined,
    });
    expect(cohere?.answer(fixture, "lots")?.inputTokens).toBeUndefined();
  });

  test("Cohere v4: dimensions as output_dimension, one of 256, 512, 1024 or 1536; any other a 400 naming it", () => {
    for (const model of ["cohere.embed-v4:0", "us.cohere.embed-v4:0", "eu.cohere.embed-v4:0"]) {
      const v4 = bedrockEmbedder(model);
      expect(v4?.family).toBe("Cohere Embed");
      expect(v4?.request(["a"], ask({ input: "x" }))).toEqual({
        texts: ["a"],
        input_type: "search_document",
        embedding_types: ["float"],
      });
      for (const dimensions of [256, 512, 1024, 1536])
        expect(v4?.request(["a"], ask({ input: "x", input_type: "search_query", dimensions }))).toEqual({
          texts: ["a"],
          input_type: "search_query",
          embedding_types: ["float"],
          output_dimension: dimensions,
        });
      for (const dimensions of [128, 768, 3072]) {
        const error = gatewayErrorOf(() => v4?.request(["a"], ask({ input: "x", dimensions })));
        expect([error.status, error.param, error.message]).toEqual([
          400,
          "dimensions",
          `Cohere Embed v4 makes vectors of 256, 512, 1024 or 1536 dimensions, not ${dimensions}`,
        ]);
      }
    }
  });

  test("Cohere v4: 96 texts and 128,000 tokens a call (o200k's count, a quarter held back); v3 and Titan cap texts alone", () => {
    expect(bedrockEmbedder("cohere.embed-v4:0")).toMatchObject({
      perCall: 96,
      tokensPerCall: COHERE_V4_TOKENS_PER_CALL,
    });
    expect(COHERE_V4_TOKENS_PER_CALL).toBe(96_000);
    for (const model of [
      "cohere.embed-english-v3",
      "cohere.embed-multilingual-light-v3",
      "amazon.titan-embed-text-v2:0",
    ])
      expect(bedrockEmbedder(model)?.tokensPerCall).toBeUndefined();
  });

  test("Cohere v4's answer: the plain list (one type asked) or by type, int8 beside the floats; the count from the header, else Cohere's own", () => {
    const v4 = bedrockEmbedder("cohere.embed-v4:0");
    if (!v4) throw new Error("Cohere v4 has no embedder");
    // AWS's sample answer for texts, embeddings_floats.
    expect(v4.answer(jsonFixture("bedrock/invoke-cohere-embed-v4.json"), "12")).toEqual({
      vectors: [
        [0.0135, -0.0272, 0.0318, 0.0041],
        [0.0047, 0.0189, -0.0093, 0.0226],
      ],
      inputTokens: 12,
    });
    const byType = {
      id: "x",
      response_type: "embeddings_by_type",
      embeddings: { int8: [[7, -3]], float: [[0.5, -0.25]] },
      texts: ["a"],
    };
    expect(v4.answer(byType, "3")).toEqual({ vectors: [[0.5, -0.25]], inputTokens: 3 });
    // Cohere's own API counts in `meta`: read where Bedrock's header is missing or no count; the header first.
    const meta = { ...byType, meta: { api_version: { version: "2" }, billed_units: { input_tokens: 4 } } };
    expect(v4.answer(meta, null).inputTokens).toBe(4);
    expect(v4.answer(meta, "lots").inputTokens).toBe(4);
    expect(v4.answer(meta, "3").inputTokens).toBe(3);
    expect(
      v4.answer({ ...byType, meta: { billed_units: { input_tokens: -1 } } }, null).inputTokens,
    ).toBeUndefined();
    // Vectors of another type alone are not what was asked: the upstream's fault, a 502 that says so.
    const int8 = gatewayErrorOf(() => v4.answer({ ...byType, embeddings: { int8: [[7, -3]] } }, "3"));
    expect([int8.status, int8.message]).toEqual([
      502,
      "upstream sent Cohere embeddings of type int8, not the float asked for",
    ]);
  });
});
