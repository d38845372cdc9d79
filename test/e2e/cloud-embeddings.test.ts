import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import OpenAI from "openai";
import { estimateInputTokens } from "../../src/translate/anthropic-to-openai/count-tokens-estimate.ts";
import { wordsIn } from "../fake-cloud/count-wire.ts";
import { vectorOf, wordsOf } from "../fake-cloud/embedding-wire.ts";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { auditRow } from "./harness/admin-api.ts";
import { cloudGateway } from "./harness/cloud-gateway.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// Each cloud's own APIs beside chat (harness/cloud-gateway.ts): embeddings (Bedrock Titan and
// Cohere, Gemini, Vertex) and count_tokens (the vendor's counter, else the gateway's estimate).

const clouds = cloudGateway();
let cloud: FakeCloud;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, gw, openai, anthropic } = clouds);
});
const { callsTo } = clouds;

describe("embeddings on cloud routes (OpenAI embeddings → each vendor's own API)", () => {
  const TEXTS = ["the first text", "a second, longer text to embed", "third"];
  const words = (texts: readonly string[]) => texts.reduce((sum, text) => sum + wordsOf(text), 0);
  /** What the OpenAI SDK decodes from `base64` (its default): the vectors as float32. */
  const asFloat32 = (vector: number[]) => vector.map(Math.fround);

  test("bedrock Titan: one signed InvokeModel call a text, base64 decoded by the SDK, Titan's token counts", async () => {
    const before = callsTo(/\/invoke$/).length;
    const { data, response } = await openai.embeddings
      .create({ model: "titan-embed", input: TEXTS })
      .withResponse();
    expect(data.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => asFloat32(vectorOf(text))));
    expect(data.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(data.usage).toEqual({ prompt_tokens: words(TEXTS), total_tokens: words(TEXTS) });
    const calls = callsTo(/\/invoke$/).slice(before);
    expect(calls.map((c) => c.path)).toEqual(TEXTS.map(() => "/model/amazon.titan-embed-text-v2%3A0/invoke"));
    expect(calls.map((c) => JSON.parse(c.body).inputText).toSorted()).toEqual(TEXTS.toSorted());
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      inputTokens: words(TEXTS),
      frontDoor: "embeddings",
      route: "provider:br",
    });
    // Titan Text Embeddings V2 at AWS's $0.02 per million tokens (not its G1's $0.10).
    expect(row.costUsd).toBeCloseTo((words(TEXTS) * 0.02) / 1e6, 15);
  });

  test("bedrock Cohere: 96 texts a call, input_type passed on, floats exact, the count from the header", async () => {
    const texts = Array.from({ length: 100 }, (_, i) => `text number ${i}`);
    const before = callsTo(/\/invoke$/).length;
    const reply = await openai.embeddings.create({
      model: "cohere-embed",
      input: texts,
      encoding_format: "float",
      // @ts-expect-error: Cohere's own field, sent through the OpenAI body
      input_type: "search_query",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(texts.map((text) => vectorOf(text)));
    expect(reply.usage.prompt_tokens).toBe(words(texts));
    const calls = callsTo(/\/invoke$/)
      .slice(before)
      .map((c) => JSON.parse(c.body));
    expect(calls.map((c) => c.texts.length).toSorted()).toEqual([4, 96]);
    expect(calls.every((c) => c.input_type === "search_query")).toBe(true);
    expect(calls[0].embedding_types).toEqual(["float"]);
  });

  test("bedrock Cohere v4 (a cross-region profile): dimensions as output_dimension, base64 decoded, the count from the header", async () => {
    const before = callsTo(/\/invoke$/).length;
    const reply = await openai.embeddings.create({ model: "cohere-v4-embed", input: TEXTS, dimensions: 256 });
    expect(reply.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => asFloat32(vectorOf(text, 256))));
    expect(reply.usage.prompt_tokens).toBe(words(TEXTS));
    const calls = callsTo(/\/invoke$/).slice(before);
    expect(calls.map((c) => c.path)).toEqual(["/model/us.cohere.embed-v4%3A0/invoke"]);
    expect(JSON.parse(calls[0]?.body ?? "{}")).toEqual({
      texts: TEXTS,
      input_type: "search_document",
      embedding_types: ["float"],
      output_dimension: 256,
    });
    // A size v4 does not make: OpenAI's 400 naming dimensions, no call.
    const error = await openaiFailure(
      openai.embeddings.create({ model: "cohere-v4-embed", input: TEXTS, dimensions: 768 }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("dimensions");
    expect(callsTo(/\/invoke$/).length).toBe(before + 1);
  });

  test("many inputs: 500 to Cohere in calls of 96, in order; 2,049 are OpenAI's 400 on input, no call", async () => {
    const texts = Array.from({ length: 500 }, (_, i) => `text number ${i}`);
    const before = callsTo(/\/invoke$/).length;
    const reply = await openai.embeddings.create({ model: "cohere-v4-embed", input: texts });
    expect(reply.data.map((d) => d.embedding)).toEqual(texts.map((text) => asFloat32(vectorOf(text))));
    expect(reply.usage.prompt_tokens).toBe(words(texts));
    const calls = callsTo(/\/invoke$/).slice(before);
    expect(calls.map((c) => JSON.parse(c.body).texts.length).toSorted((a, b) => b - a)).toEqual([
      96, 96, 96, 96, 96, 20,
    ]);
    const many = Array.from({ length: 2049 }, (_, i) => `t${i}`);
    const error = await openaiFailure(openai.embeddings.create({ model: "titan-embed", input: many }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("input");
    expect(error.message).toContain("'$.input' is invalid: 2049 inputs");
    expect(callsTo(/\/invoke$/).length).toBe(before + calls.length);
  });

  test("gemini: one batchEmbedContents call, dimensions as outputDimensionality, the tokens estimated", async () => {
    const before = callsTo(/:batchEmbedContents$/).length;
    const reply = await openai.embeddings.create({
      model: "gemini-embed",
      input: TEXTS,
      dimensions: 8,
      encoding_format: "float",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => vectorOf(text, 8)));
    // The Gemini API counts no tokens: the o200k tokenizer's count, not the fake's words.
    const estimate = TEXTS.reduce((sum, text) => sum + countTokens(text), 0);
    expect(estimate).not.toBe(words(TEXTS));
    expect(reply.usage.prompt_tokens).toBe(estimate);
    const calls = callsTo(/:batchEmbedContents$/).slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.headers["x-goog-api-key"]).toBe("gemini-key");
    expect(JSON.parse(calls[0]?.body ?? "{}").requests[0]).toEqual({
      model: "models/gemini-embedding-001",
      content: { parts: [{ text: TEXTS[0] }] },
      outputDimensionality: 8,
    });
  });

  test("vertex: the texts in one predict call, task_type passed on, Vertex's token counts", async () => {
    const before = callsTo(/:predict$/).length;
    const reply = await openai.embeddings.create({
      model: "vertex-embed",
      input: TEXTS,
      encoding_format: "float",
      // @ts-expect-error: Google's own field, sent through the OpenAI body
      task_type: "RETRIEVAL_DOCUMENT",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => vectorOf(text)));
    expect(reply.usage.prompt_tokens).toBe(words(TEXTS));
    const calls = callsTo(/:predict$/).slice(before);
    expect(calls.map((c) => c.path)).toEqual([
      "/v1/projects/project-1/locations/us-central1/publishers/google/models/text-embedding-005:predict",
    ]);
    expect(calls[0]?.headers.authorization).toMatch(/^Bearer google-token-/);
    expect(JSON.parse(calls[0]?.body ?? "{}").instances[1]).toEqual({
      content: TEXTS[1],
      task_type: "RETRIEVAL_DOCUMENT",
    });
  });

  test("vertex Gemini embedding models: one text a predict call, joined in order", async () => {
    const before = callsTo(/:predict$/).length;
    const reply = await openai.embeddings.create({
      model: "vertex-gemini-embed",
      input: TEXTS,
      encoding_format: "float",
    });
    expect(reply.data.map((d) => d.embedding)).toEqual(TEXTS.map((text) => vectorOf(text)));
    const calls = callsTo(/:predict$/).slice(before);
    expect(calls.map((c) => JSON.parse(c.body).instances.length)).toEqual([1, 1, 1]);
  });

  test("token ids are a 400 naming input; a Bedrock model of no embedding family is a 400", async () => {
    const ids = await openaiFailure(openai.embeddings.create({ model: "titan-embed", input: [[1, 2, 3]] }));
    expect(ids).toBeInstanceOf(OpenAI.BadRequestError);
    expect(ids.param).toBe("input");
    expect(ids.message).toContain("token ids cannot be sent to provider br");
    // What LangChain's Python OpenAIEmbeddings sends by default: the fix named.
    expect(ids.message).toContain("check_embedding_ctx_length=False");
    const nova = await openaiFailure(openai.embeddings.create({ model: "nova", input: "x" }));
    expect(nova).toBeInstanceOf(OpenAI.BadRequestError);
    expect(nova.message).toContain(
      "embeds only with Amazon Titan Text and Cohere Embed models, not amazon.nova-lite-v1:0",
    );
  });

  test("what a vendor's API cannot take is named in x-mindgw-dropped and the audit row (user; input_type on Titan)", async () => {
    // Each with its vendor's own field: carried where that vendor reads it.
    for (const [model, own, named] of [
      ["gemini-embed", { task_type: "RETRIEVAL_QUERY" }, "user"],
      ["vertex-embed", { task_type: "RETRIEVAL_QUERY" }, "user"],
      ["cohere-embed", { input_type: "search_query" }, "user"],
      ["titan-embed", { input_type: "search_query" }, "user, input_type"],
    ] as const) {
      const { response } = await openai.embeddings
        .create({ model, input: "x", user: "alice", ...own })
        .withResponse();
      expect(response.headers.get("x-mindgw-dropped")).toBe(named);
      expect((await auditRow(gw, response.headers.get("x-request-id") ?? "")).dropped).toBe(named);
    }
  });

  test("an empty input list is a 400 that says so; refused before any call, as token ids are", async () => {
    const before = cloud.requests.length;
    const error = await openaiFailure(openai.embeddings.create({ model: "gemini-embed", input: [] }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("input");
    expect(error.message).toContain("input: an empty list");
    const ids = await openaiFailure(openai.embeddings.create({ model: "gemini-embed", input: [[1, 2]] }));
    expect(ids).toBeInstanceOf(OpenAI.BadRequestError);
    const row = await auditRow(gw, ids.requestID ?? "");
    expect([row.status, row.route, row.attempts ?? []]).toEqual([400, null, []]);
    expect(cloud.requests.length).toBe(before);
  });

  test("a Bedrock throttle on an embeddings call is the caller's 429 with Retry-After", async () => {
    cloud.failNext({
      status: 429,
      type: "ThrottlingException",
      message: "Too many requests",
      retryAfter: "3",
    });
    const error = await openaiFailure(openai.embeddings.create({ model: "titan-embed", input: "x" }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.headers?.get("retry-after")).toBe("3");
  });

  test("a text too long for the model is the caller's 400 context_length_exceeded on input", async () => {
    cloud.failNext({
      status: 400,
      type: "ValidationException",
      message: "Input is too long for requested model.",
    });
    const error = await openaiFailure(openai.embeddings.create({ model: "cohere-embed", input: "x" }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe("context_length_exceeded");
    expect(error.param).toBe("input");
  });
});

describe("count_tokens on cloud routes: the vendor's own counter, else the gateway's estimate", () => {
  const REQUEST = {
    system: "You are terse",
    messages: [{ role: "user" as const, content: "count these five words please" }],
    tools: [
      {
        name: "get_weather",
        description: "Weather for a city",
        input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
      },
    ],
  };
  /** What the gateway answers where no vendor counts: its o200k estimate. */
  const estimate = async (model: string) =>
    ((await estimateInputTokens({ model, ...REQUEST })) as { input_tokens: number }).input_tokens;

  test("bedrock Claude: CountTokens with the Converse messages, system and tools; nothing billed", async () => {
    const before = callsTo(/\/count-tokens$/).length;
    const { data, response } = await anthropic.messages
      .countTokens({ model: "claude-bedrock", ...REQUEST })
      .withResponse();
    const calls = callsTo(/\/count-tokens$/).slice(before);
    expect(calls.map((c) => c.path)).toEqual([
      "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/count-tokens",
    ]);
    const sent = JSON.parse(calls[0]?.body ?? "{}").input.converse;
    expect(sent.system).toEqual([{ text: "You are terse" }]);
    expect(sent.messages).toEqual([{ role: "user", content: [{ text: "count these five words please" }] }]);
    expect(sent.toolConfig.tools[0].toolSpec.name).toBe("get_weather");
    expect(data.input_tokens).toBe(wordsIn(sent));
    expect(data.input_tokens).not.toBe(await estimate("claude-bedrock"));
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(row).toMatchObject({
      status: 200,
      frontDoor: "count_tokens",
      route: "provider:br",
      inputTokens: 0,
    });
  });

  test("bedrock Nova: CountTokens refuses the model, and the gateway's estimate answers", async () => {
    const before = callsTo(/\/count-tokens$/).length;
    const counted = await anthropic.messages.countTokens({ model: "nova", ...REQUEST });
    expect(
      callsTo(/\/count-tokens$/)
        .slice(before)
        .map((c) => c.path),
    ).toEqual(["/model/amazon.nova-lite-v1%3A0/count-tokens"]);
    expect(counted.input_tokens).toBe(await estimate("nova"));
  });

  test("gemini: countTokens with the whole generateContent request; vertex: its fields at the top", async () => {
    const before = callsTo(/:countTokens$/).length;
    const gemini = await anthropic.messages.countTokens({ model: "gemini-flash", ...REQUEST });
    const vertex = await anthropic.messages.countTokens({ model: "vertex-flash", ...REQUEST });
    const [toGemini, toVertex] = callsTo(/:countTokens$/).slice(before);
    expect(toGemini?.path).toBe("/v1beta/models/gemini-2.5-flash:countTokens");
    const whole = JSON.parse(toGemini?.body ?? "{}").generateContentRequest;
    expect(whole.model).toBe("models/gemini-2.5-flash");
    expect(whole.systemInstruction).toEqual({ parts: [{ text: "You are terse" }] });
    expect(whole.tools[0].functionDeclarations[0].name).toBe("get_weather");
    const { model: _name, ...counted } = whole;
    expect(gemini.input_tokens).toBe(wordsIn(counted));
    expect(toVertex?.path).toBe(
      "/v1/projects/project-1/locations/us-central1/publishers/google/models/gemini-2.5-flash:countTokens",
    );
    const top = JSON.parse(toVertex?.body ?? "{}");
    expect(Object.keys(top).toSorted()).toEqual(["contents", "systemInstruction", "tools"]);
    expect(vertex.input_tokens).toBe(wordsIn(top));
  });

  test("a vendor's failure to count is no failure of the count: the estimate answers", async () => {
    cloud.failNext({ status: 503, type: "UNAVAILABLE", message: "The service is currently unavailable." });
    const counted = await anthropic.messages.countTokens({ model: "gemini-flash", ...REQUEST });
    expect(counted.input_tokens).toBe(await estimate("gemini-flash"));
  });
});
