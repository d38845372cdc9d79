import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mistralServer } from "../../../test/fake-upstream/mistral-api.ts";
import { parseConfig } from "../../config/load-config.ts";
import { createGateway, type Gateway } from "../../gateway/create-gateway.ts";
import { silentLogger } from "../../log/logger.ts";
import { inProcessOpenAI } from "../../testing/gateway-sdks.ts";
import { jwtCaller } from "../../testing/jwt-caller.ts";

// The official OpenAI SDK's embeddings on a route to Mistral (`preset: mistral`), against a fake
// that takes what Mistral's embeddings API takes and refuses the rest with its 422
// (test/fake-upstream/mistral-embeddings.ts): OpenAI's `dimensions` is Mistral's `output_dimension`.

const mistral = mistralServer();
let gateway: Gateway;

beforeAll(async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "mistral", type: "openai", preset: "mistral", base_url: mistral.baseUrl }],
      models: [{ name: "codestral-embed", routes: [{ provider: "mistral", model: "codestral-embed" }] }],
      routing: { retries: 0 },
    }),
    auth: async () => ({ ...jwtCaller, name: "app" }),
    logger: silentLogger,
  });
});

afterAll(async () => {
  await gateway.stop();
  mistral.server.stop(true);
});

const openai = inProcessOpenAI((request) => gateway.handle(request));

describe("embeddings on a Mistral route", () => {
  test("dimensions is sent as Mistral's output_dimension: vectors that long, base64 (the SDK's default) and float", async () => {
    // Before: sent as `dimensions`, which Mistral refuses (422 "Extra inputs are not permitted").
    const answer = await openai.embeddings.create({
      model: "codestral-embed",
      input: ["first", "second"],
      dimensions: 256,
    });
    expect(answer.data.map((d) => [d.index, d.embedding.length])).toEqual([
      [0, 256],
      [1, 256],
    ]);
    expect(mistral.received.at(-1)).toEqual({
      model: "codestral-embed",
      input: ["first", "second"],
      output_dimension: 256,
      encoding_format: "base64",
    });
    const floats = await openai.embeddings.create({
      model: "codestral-embed",
      input: "one",
      dimensions: 512,
      encoding_format: "float",
    });
    expect(floats.data[0]?.embedding).toHaveLength(512);
  });

  test("without dimensions the body goes as sent, and Mistral's own size answers", async () => {
    const answer = await openai.embeddings.create({ model: "codestral-embed", input: "one" });
    expect(answer.data[0]?.embedding).toHaveLength(1536);
    expect(mistral.received.at(-1)).toEqual({
      model: "codestral-embed",
      input: "one",
      encoding_format: "base64",
    });
  });

  test("user, which Mistral's embeddings schema has not, is left out and named, as on a chat call", async () => {
    const { data, response } = await openai.embeddings
      .create({ model: "codestral-embed", input: "one", user: "end-user-7" })
      .withResponse();
    expect(data.data[0]?.embedding).toHaveLength(1536);
    expect(mistral.received.at(-1)).toEqual({
      model: "codestral-embed",
      input: "one",
      encoding_format: "base64",
    });
    // Before: left out without a word.
    expect(response.headers.get("x-mindgw-dropped")).toBe("user");
  });
});
