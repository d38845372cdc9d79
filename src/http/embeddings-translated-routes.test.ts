import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import OpenAI from "openai";
import {
  COHERE_V4_TOKEN_CAP,
  cohereAnswer,
  EmbeddingRefusal,
  geminiBatchAnswer,
  titanAnswer,
  VERTEX_TOKEN_CAP,
  vectorOf,
  vertexPredictAnswer,
  wordsOf,
} from "../../test/fake-cloud/embedding-wire.ts";
import type { JsonObject } from "../core/dialect.ts";
import { createGateway, type Gateway, parseConfig, silentLogger } from "../index.ts";
import { createBedrockProvider } from "../providers/bedrock/bedrock-provider.ts";
import { createProvider } from "../providers/create-provider.ts";
import {
  createGoogleProvider,
  geminiApiEndpoint,
  vertexEndpoint,
} from "../providers/google/gemini-provider.ts";
import { inProcessOpenAI } from "../testing/gateway-sdks.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { callAs } from "../testing/recording-gateway.ts";

// OpenAI embeddings on translated routes, through the whole gateway and the real providers, each
// provider's `fetch` a fake of its vendor that refuses what the vendor refuses (Bedrock's schema
// and 96 Cohere texts, Cohere v4's sizes and 128,000 tokens, the Gemini API's 100 requests, Vertex
// AI's 250 instances and 20,000 tokens, its Gemini models' one): many inputs cut into calls each
// upstream takes, at most eight at once, answered in order with their counts summed; Cohere Embed
// v4's sizes and answers; the token ids LangChain's Python OpenAIEmbeddings sends; and base64, the
// OpenAI SDKs' default, on each.

/** One call a fake vendor was sent: the model it named, its body. */
interface Sent {
  readonly model: string;
  readonly body: JsonObject;
}

/**
 * A vendor's `fetch`: its calls recorded, the most of them in flight at once kept. Each is answered
 * a turn later, or, once `reset` says how many calls are expected together and in all, held until
 * that many are in flight (or the last call has come): whether the gateway sends them together is
 * then read from the calls themselves, not from how fast it sends them.
 */
function vendorFetch(answer: (model: string, body: JsonObject) => Response) {
  const sent: Sent[] = [];
  let inFlight = 0;
  let most = 0;
  let together = 0;
  let lastCall = 0;
  let held: (() => void)[] = [];
  const releaseAll = () => {
    const waiting = held;
    held = [];
    for (const release of waiting) release();
  };
  const send = async (url: unknown, init?: RequestInit) => {
    const path = decodeURIComponent(new URL(String(url)).pathname);
    const model =
      /\/model\/([^/]+)\/invoke$/.exec(path)?.[1] ?? /models\/([^/:]+):\w+$/.exec(path)?.[1] ?? "";
    const body = JSON.parse(String(init?.body)) as JsonObject;
    sent.push({ model, body });
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      if (together > 0) {
        const answered = new Promise<void>((resolve) => held.push(resolve));
        if (inFlight >= together || sent.length >= lastCall) releaseAll();
        await answered;
      } else await new Promise<void>((resolve) => setImmediate(resolve));
      return answer(model, body);
    } finally {
      inFlight--;
    }
  };
  return {
    fetch: Object.assign(send, { preconnect: () => {} }) as typeof fetch,
    sent,
    /** The calls sent since `from`, and the most in flight since `reset`. */
    since: (from: number) => sent.slice(from),
    most: () => most,
    /** From here: answered a turn later, or, given, held until `expected.together` are in flight of `expected.calls`. */
    reset: (expected?: { together: number; calls: number }) => {
      most = 0;
      together = expected?.together ?? 0;
      lastCall = sent.length + (expected?.calls ?? 0);
      return sent.length;
    },
  };
}

/** A refusal as Bedrock sends it: a 400 ValidationException. */
const bedrockRefusal = (message: string) =>
  Response.json(
    { message },
    { status: 400, headers: { "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/" } },
  );

/** A refusal as Google sends it: a 400 INVALID_ARGUMENT. */
const googleRefusal = (message: string) =>
  Response.json({ error: { code: 400, message, status: "INVALID_ARGUMENT" } }, { status: 400 });

/** What Cohere v4 adds to its answer here beside the asked floats (its `int8`), when set. */
let cohereExtraTypes = false;

const bedrock = vendorFetch((model, body) => {
  try {
    if (model.includes("titan-embed")) return Response.json(titanAnswer(body, model));
    const asked = cohereExtraTypes ? { ...body, embedding_types: ["float", "int8"] } : body;
    const { body: answer, tokens } = cohereAnswer(asked, model);
    return Response.json(answer, { headers: { "X-Amzn-Bedrock-Input-Token-Count": String(tokens) } });
  } catch (error) {
    if (error instanceof EmbeddingRefusal) return bedrockRefusal(error.message);
    throw error;
  }
});

const google = vendorFetch((model, body) => {
  try {
    return Response.json(
      "instances" in body
        ? vertexPredictAnswer(model, body as never)
        : geminiBatchAnswer(model, body as never),
    );
  } catch (error) {
    if (error instanceof EmbeddingRefusal) return googleRefusal(error.message);
    throw error;
  }
});

/** The OpenAI-type upstream (pass-through): what it was sent; it answers floats, whatever it was asked. */
const passedThrough: JsonObject[] = [];
let upstream: ReturnType<typeof Bun.serve>;
let gateway: Gateway;

const MODELS = {
  titan: ["br", "amazon.titan-embed-text-v2:0"],
  "cohere-v3": ["br", "cohere.embed-english-v3"],
  "cohere-v4": ["br", "cohere.embed-v4:0"],
  gemini: ["gm", "gemini-embedding-001"],
  vertex: ["vx", "text-embedding-005"],
  "vertex-gemini": ["vx", "gemini-embedding-001"],
  openai: ["oa", "text-embedding-3-small"],
} as const;

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as JsonObject;
      passedThrough.push(body);
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return Response.json({
        object: "list",
        data: inputs.map((input, index) => ({
          object: "embedding",
          index,
          embedding: vectorOf(String(input)),
        })),
        model: body.model,
        usage: { prompt_tokens: 7, total_tokens: 7 },
      });
    },
  });
  const tokenSource = { get: async () => "token", invalidate: () => false };
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [
        { name: "br", type: "bedrock", region: "us-east-1" },
        { name: "gm", type: "gemini", api_key: "key" },
        { name: "vx", type: "vertex", project: "acme", location: "us-central1" },
        { name: "oa", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` },
      ],
      models: Object.entries(MODELS).map(([name, [provider, model]]) => ({
        name,
        routes: [{ provider, model }],
      })),
      routing: { retries: 0 },
    }),
    auth: async () => jwtCaller,
    logger: silentLogger,
    providers: (config, context) => {
      if (config.name === "br")
        return createBedrockProvider({
          name: "br",
          region: "us-east-1",
          credentials: { access_key_id: "AKIAFAKE", secret_access_key: "secret" },
          fetch: bedrock.fetch,
        });
      if (config.name === "gm")
        return createGoogleProvider({
          name: "gm",
          vendor: "gcp.gemini",
          endpoint: geminiApiEndpoint("http://gemini.test/v1beta", "key"),
          fetch: google.fetch,
        });
      if (config.name === "vx")
        return createGoogleProvider({
          name: "vx",
          vendor: "gcp.vertex_ai",
          endpoint: vertexEndpoint("acme", "us-central1", "http://vertex.test", tokenSource),
          fetch: google.fetch,
        });
      return createProvider(config, context);
    },
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

/** The official client with its default options (base64 asked for), the gateway in process. */
const openai = inProcessOpenAI((request) => gateway.handle(request));

/** A raw `POST /v1/embeddings`, as a client other than the SDK may send it. */
const post = (body: object) => callAs(gateway, "t", "POST", "/v1/embeddings", body);

/** The fake's vector for `text`, as the SDK decodes it from base64: float32. */
const float32Of = (text: string, dimensions?: number) => vectorOf(text, dimensions).map(Math.fround);

const words = (texts: readonly string[]) => texts.reduce((sum, text) => sum + wordsOf(text), 0);
const o200k = (texts: readonly string[]) => texts.reduce((sum, text) => sum + countTokens(text), 0);

/** Each route's vendor fake, its calls' texts, and the tokens the caller is told for `texts`. */
const ROUTES: Record<
  string,
  {
    fake: typeof bedrock;
    textsOf: (body: JsonObject) => unknown[];
    told: (texts: readonly string[]) => number;
  }
> = {
  titan: { fake: bedrock, textsOf: (body: JsonObject) => [body.inputText], told: words },
  "cohere-v3": { fake: bedrock, textsOf: (body: JsonObject) => body.texts as string[], told: words },
  "cohere-v4": { fake: bedrock, textsOf: (body: JsonObject) => body.texts as string[], told: words },
  // The Gemini API counts no tokens: the gateway's o200k estimate.
  gemini: {
    fake: google,
    textsOf: (body: JsonObject) =>
      (body.requests as { content: { parts: { text: string }[] } }[]).map((r) => r.content.parts[0]?.text),
    told: o200k,
  },
  vertex: {
    fake: google,
    textsOf: (body: JsonObject) => (body.instances as { content: string }[]).map((i) => i.content),
    told: words,
  },
  "vertex-gemini": {
    fake: google,
    textsOf: (body: JsonObject) => (body.instances as { content: string }[]).map((i) => i.content),
    told: words,
  },
};

describe("500 inputs: cut into calls each upstream takes, at most eight at once, in order, counts summed", () => {
  const texts = Array.from({ length: 500 }, (_, i) => `document ${i} about topic ${i % 7}`);
  const CALLS = {
    titan: Array(500).fill(1),
    "cohere-v3": [96, 96, 96, 96, 96, 20],
    "cohere-v4": [96, 96, 96, 96, 96, 20],
    gemini: [100, 100, 100, 100, 100],
    vertex: [250, 250],
    "vertex-gemini": Array(500).fill(1),
  };

  for (const [model, { fake, textsOf, told }] of Object.entries(ROUTES)) {
    test(`${model}: ${CALLS[model as keyof typeof CALLS].length} calls, answered whole as base64 float32`, async () => {
      const expected = CALLS[model as keyof typeof CALLS].length;
      const from = fake.reset({ together: Math.min(8, expected), calls: expected });
      const { data, usage } = await openai.embeddings.create({ model, input: texts });
      expect(data.map((d) => d.index)).toEqual(texts.map((_, i) => i));
      expect(data.map((d) => d.embedding)).toEqual(texts.map((text) => float32Of(text)));
      expect(usage).toEqual({ prompt_tokens: told(texts), total_tokens: told(texts) });
      const calls = fake.since(from).map((call) => textsOf(call.body));
      expect(calls.map((call) => call.length).toSorted((a, b) => b - a)).toEqual(
        CALLS[model as keyof typeof CALLS],
      );
      // Sent at most eight at once, whatever the order they went in: every text once.
      expect(calls.flat().toSorted()).toEqual(texts.toSorted());
      expect(fake.most()).toBe(Math.min(8, calls.length));
    });
  }

  test("2,049 inputs are OpenAI's 400 on input, before any call on any route; 2,048 are served", async () => {
    const many = Array.from({ length: 2049 }, (_, i) => `text ${i}`);
    const before = bedrock.sent.length + google.sent.length + passedThrough.length;
    for (const model of Object.keys(ROUTES)) {
      const response = await post({ model, input: many });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: JsonObject };
      expect(error).toMatchObject({ type: "invalid_request_error", param: "input" });
      expect(error.message).toBe(
        "'$.input' is invalid: 2049 inputs, and an array of inputs must be 2048 or less; send at most 2048 inputs a request",
      );
    }
    expect(bedrock.sent.length + google.sent.length).toBe(before);
    const served = await openai.embeddings.create({ model: "cohere-v4", input: many.slice(0, 2048) });
    expect(served.data).toHaveLength(2048);
    expect(served.data[2047]?.embedding).toEqual(float32Of("text 2047"));
  });
});

describe("Cohere Embed v4 on Bedrock", () => {
  test("dimensions is output_dimension, each size v4 makes; v3's body is as it was", async () => {
    for (const dimensions of [256, 512, 1024, 1536]) {
      const from = bedrock.reset();
      const { data } = await openai.embeddings.create({
        model: "cohere-v4",
        input: ["a b", "c"],
        dimensions,
      });
      expect(data.map((d) => d.embedding)).toEqual([
        float32Of("a b", dimensions),
        float32Of("c", dimensions),
      ]);
      expect(bedrock.since(from).map((call) => call.body)).toEqual([
        {
          texts: ["a b", "c"],
          input_type: "search_document",
          embedding_types: ["float"],
          output_dimension: dimensions,
        },
      ]);
    }
    const from = bedrock.reset();
    await openai.embeddings.create({ model: "cohere-v4", input: "x" });
    await openai.embeddings.create({ model: "cohere-v3", input: "x", dimensions: 1024 });
    expect(bedrock.since(from).map((call) => call.body)).toEqual([
      { texts: ["x"], input_type: "search_document", embedding_types: ["float"] },
      { texts: ["x"], input_type: "search_document", embedding_types: ["float"] },
    ]);
  });

  test("a size v4 does not make is a 400 naming dimensions and the sizes, before any call", async () => {
    const from = bedrock.reset();
    for (const dimensions of [768, 3072, 100]) {
      const error = await openai.embeddings
        .create({ model: "cohere-v4", input: ["a", "b"], dimensions })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const refused = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(refused.param).toBe("dimensions");
      expect(refused.message).toContain(
        `Cohere Embed v4 makes vectors of 256, 512, 1024 or 1536 dimensions, not ${dimensions}`,
      );
    }
    // v3's one size is still its own.
    const v3 = await openai.embeddings
      .create({ model: "cohere-v3", input: "a", dimensions: 512 })
      .catch((e: unknown) => e);
    expect((v3 as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("dimensions");
    expect(bedrock.since(from)).toEqual([]);
  });

  test("an answer by type with int8 beside the floats: the caller gets the floats, base64 float32 or as they came", async () => {
    cohereExtraTypes = true;
    try {
      const texts = ["first text", "second"];
      // Cohere's own field, not carried: the gateway asks for floats alone.
      const withTypes = { model: "cohere-v4", input: texts, embedding_types: ["int8"] };
      const { response, data } = await openai.embeddings.create(withTypes).withResponse();
      expect(data.data.map((d) => d.embedding)).toEqual(texts.map((text) => float32Of(text)));
      expect(response.headers.get("x-mindgw-dropped")).toBe("embedding_types");
      const floats = await openai.embeddings.create({
        model: "cohere-v4",
        input: texts,
        encoding_format: "float",
      });
      expect(floats.data.map((d) => d.embedding)).toEqual(texts.map((text) => vectorOf(text)));
      expect(floats.usage.prompt_tokens).toBe(words(texts));
    } finally {
      cohereExtraTypes = false;
    }
  });

  test("texts over 128,000 tokens together go in calls under them, the counts summed", async () => {
    // 40 chunks of ~4,000 tokens: 96 texts a call would send all 160,000 tokens at once.
    const texts = Array.from(
      { length: 40 },
      (_, i) => `chunk ${i}: ${"lorem ipsum dolor sit amet ".repeat(800)}`,
    );
    const from = bedrock.reset();
    const { data, usage } = await openai.embeddings.create({ model: "cohere-v4", input: texts });
    expect(data.map((d) => d.embedding)).toEqual(texts.map((text) => float32Of(text)));
    expect(usage.prompt_tokens).toBe(words(texts));
    const calls = bedrock.since(from).map((call) => call.body.texts as string[]);
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) expect(o200k(call)).toBeLessThanOrEqual(COHERE_V4_TOKEN_CAP);
    expect(calls.flat().toSorted()).toEqual(texts.toSorted());
  });
});

describe("token ids, as LangChain's Python OpenAIEmbeddings sends them", () => {
  /** Its body with check_embedding_ctx_length on (the default): the texts' tiktoken ids, base64 asked. */
  const LANGCHAIN = {
    input: [
      [9906, 1917],
      [2028, 374, 264, 1296],
    ],
    encoding_format: "base64",
  };

  test("a translated route answers OpenAI's 400 on input that names the fix, before any call", async () => {
    const before = bedrock.sent.length + google.sent.length;
    for (const model of Object.keys(ROUTES)) {
      const response = await post({ model, ...LANGCHAIN });
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as { error: JsonObject };
      expect(error).toMatchObject({ type: "invalid_request_error", param: "input" });
      expect(error.message).toContain("token ids cannot be sent to provider");
      expect(error.message).toContain("send the texts themselves");
      expect(error.message).toContain("check_embedding_ctx_length=False");
    }
    // One list of ids is one input, refused alike.
    expect((await post({ model: "titan", input: [1, 2, 3] })).status).toBe(400);
    expect(bedrock.sent.length + google.sent.length).toBe(before);
  });

  test("an OpenAI-type route passes them on unchanged, and answers base64 float32", async () => {
    const from = passedThrough.length;
    const response = await post({ model: "openai", ...LANGCHAIN });
    expect(response.status).toBe(200);
    expect(passedThrough.slice(from)).toEqual([{ model: "text-embedding-3-small", ...LANGCHAIN }]);
    const { data } = (await response.json()) as { data: { embedding: string }[] };
    const decoded = data.map(({ embedding }) => {
      const bytes = Buffer.from(embedding, "base64");
      return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    });
    expect(decoded).toEqual(LANGCHAIN.input.map((ids) => float32Of(String(ids))));
    // The SDK's own call with token ids: unchanged too.
    const sdk = await openai.embeddings.create({ model: "openai", input: [[1, 2, 3]] });
    expect(passedThrough.at(-1)?.input).toEqual([[1, 2, 3]]);
    expect(sdk.data[0]?.embedding).toEqual(float32Of("1,2,3"));
  });
});

test("the fakes refuse what their vendors refuse: the caps these tests hold the gateway to", () => {
  const refused = (answer: () => unknown) => {
    try {
      answer();
    } catch (error) {
      return error instanceof EmbeddingRefusal;
    }
    return false;
  };
  const texts = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`);
  const cohere = { input_type: "search_document", embedding_types: ["float"] };
  expect(refused(() => cohereAnswer({ ...cohere, texts: texts(97) }, "cohere.embed-v4:0"))).toBe(true);
  expect(
    refused(() => cohereAnswer({ ...cohere, texts: ["a"], output_dimension: 768 }, "cohere.embed-v4:0")),
  ).toBe(true);
  expect(
    refused(() =>
      cohereAnswer({ ...cohere, texts: ["a"], output_dimension: 256 }, "cohere.embed-english-v3"),
    ),
  ).toBe(true);
  const long = "lorem ipsum dolor sit amet ".repeat(14_000);
  expect(refused(() => cohereAnswer({ ...cohere, texts: [long, long] }, "cohere.embed-v4:0"))).toBe(true);
  expect(refused(() => titanAnswer({ inputText: "a", dimensions: 768 }))).toBe(true);
  expect(refused(() => titanAnswer({ texts: ["a"] } as never))).toBe(true);
  expect(
    refused(() => geminiBatchAnswer("m", { requests: texts(101).map(() => ({ model: "models/m" })) })),
  ).toBe(true);
  const instances = (n: number, content = "a") => ({
    instances: Array.from({ length: n }, () => ({ content })),
  });
  expect(refused(() => vertexPredictAnswer("text-embedding-005", instances(251)))).toBe(true);
  expect(refused(() => vertexPredictAnswer("text-embedding-005", instances(2, long)))).toBe(true);
  expect(refused(() => vertexPredictAnswer("gemini-embedding-001", instances(2)))).toBe(true);
  expect(countTokens(long) * 2).toBeGreaterThan(Math.max(COHERE_V4_TOKEN_CAP, VERTEX_TOKEN_CAP));
});
