import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import { silentLogger } from "../log/logger.ts";
import { inProcessOpenAI } from "../testing/gateway-sdks.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { callAs } from "../testing/recording-gateway.ts";

// The OpenAI SDKs ask for `encoding_format: "base64"` by default and read each `embedding` as
// little-endian float32 bytes. An upstream that answers number arrays whatever it was asked
// (Ollama's OpenAI API, older llama.cpp servers, some TEI versions) is answered to such a caller in
// base64; one that honours base64 is relayed as it sent it, byte for byte.

/** The fake upstream's vectors: none of these is a float32 exactly. */
const VECTORS = [
  [0.1, -0.25, 2.71, 1e-3],
  [0.2, 0.3, -7.5e-5, 42.42],
];

/** Little-endian float32 bytes in base64, as OpenAI writes them: written here, apart from the gateway's. */
function openaiBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

/** As the OpenAI SDKs decode a `base64` embedding (openai-node's `toFloat32Array`). */
function sdkDecode(embedding: string): number[] {
  const bytes = Buffer.from(embedding, "base64");
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
}

/** An answer's vectors, as close to the fake's as float32 keeps them: the same float32 values. */
const asFloat32 = (vectors: readonly (readonly number[])[]) => vectors.map((v) => v.map(Math.fround));

/** What the honouring upstream answers a base64 request: its own spacing and an extra field, kept. */
const HONOURED = `{"object": "list", "data": [${VECTORS.map(
  (v, index) => `{"object": "embedding", "index": ${index}, "embedding": "${openaiBase64(v)}"}`,
).join(", ")}], "model": "honours-upstream", "usage": {"prompt_tokens": 3, "total_tokens": 3}}`;

const asked: Record<string, unknown>[] = [];
let upstream: ReturnType<typeof Bun.serve>;
let gateway: Gateway;

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = (await request.json()) as Record<string, unknown>;
      asked.push(body);
      if (body.model === "honours-upstream" && body.encoding_format === "base64")
        return new Response(HONOURED, { headers: { "content-type": "application/json" } });
      // As Ollama answers: floats, whatever `encoding_format` said, and a field of its own.
      return Response.json({
        object: "list",
        data: VECTORS.slice(0, Array.isArray(body.input) ? body.input.length : 1).map((embedding, index) => ({
          object: "embedding",
          index,
          embedding,
        })),
        model: body.model,
        usage: { prompt_tokens: 3, total_tokens: 3 },
        system_fingerprint: "fp_floats",
      });
    },
  });
  const base = `http://127.0.0.1:${upstream.port}/v1`;
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "up", type: "openai", base_url: base }],
      models: [
        { name: "floats", routes: [{ provider: "up", model: "floats-upstream" }] },
        { name: "honours", routes: [{ provider: "up", model: "honours-upstream" }] },
      ],
    }),
    auth: async () => ({ ...jwtCaller, name: "app" }),
    logger: silentLogger,
  });
});

afterAll(async () => {
  await gateway.stop();
  upstream.stop(true);
});

/** The official client with its default options, the gateway in process (no socket). */
const client = () => inProcessOpenAI((request) => gateway.handle(request));

const post = (body: object) => callAs(gateway, "t", "POST", "/v1/embeddings", body);

describe("embeddings in base64 from an upstream that answers floats", () => {
  test("the openai SDK's default create() gets the upstream's vectors, as float32", async () => {
    const answer = await client().embeddings.create({ model: "floats", input: ["a", "b"] });
    // The SDK asked base64 without being told to, and the upstream got that as it was sent.
    expect(asked.at(-1)?.encoding_format).toBe("base64");
    expect(answer.data.map((d) => d.embedding)).toEqual(asFloat32(VECTORS));
    expect(answer.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  test("a caller that asked base64 gets base64 (what every SDK decodes), usage, model and the upstream's own fields kept, in order", async () => {
    const response = await post({ model: "floats", input: ["a", "b"], encoding_format: "base64" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      data: { object: string; index: number; embedding: unknown }[];
    } & Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["object", "data", "model", "usage", "system_fingerprint"]);
    expect(body).toMatchObject({
      object: "list",
      model: "floats-upstream",
      usage: { prompt_tokens: 3, total_tokens: 3 },
      system_fingerprint: "fp_floats",
    });
    // Before: each `embedding` was the upstream's number array, which openai-node before 7 (its
    // `toFloat32Array`) read as bytes into garbage vectors, and with no error.
    expect(body.data.map((d) => typeof d.embedding)).toEqual(["string", "string"]);
    expect(body.data.map((d) => [d.object, d.index])).toEqual([
      ["embedding", 0],
      ["embedding", 1],
    ]);
    expect(body.data.map((d) => sdkDecode(d.embedding as string))).toEqual(asFloat32(VECTORS));
  });

  test("the SDK told encoding_format: base64 itself hands back strings that decode to the upstream's vectors", async () => {
    const answer = await client().embeddings.create({
      model: "floats",
      input: "a",
      encoding_format: "base64",
    });
    const embedding = answer.data[0]?.embedding as unknown;
    expect(typeof embedding).toBe("string");
    expect(sdkDecode(embedding as string)).toEqual(asFloat32(VECTORS.slice(0, 1)).flat());
  });

  test("a caller that asked floats gets the upstream's floats as sent", async () => {
    const response = await post({ model: "floats", input: "a", encoding_format: "float" });
    const body = (await response.json()) as { data: { embedding: unknown }[] };
    expect(body.data[0]?.embedding).toEqual(VECTORS[0]);
  });

  test("an upstream that honours base64 is relayed byte for byte", async () => {
    const response = await post({ model: "honours", input: ["a", "b"], encoding_format: "base64" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(HONOURED);
    const answer = await client().embeddings.create({ model: "honours", input: ["a", "b"] });
    expect(answer.data.map((d) => d.embedding)).toEqual(asFloat32(VECTORS));
  });
});
