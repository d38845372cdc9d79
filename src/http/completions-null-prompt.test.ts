import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { gatewaySdks } from "../testing/gateway-sdks.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// Legacy completions' `prompt` is required but nullable: openai-node types it
// `string | string[] | number[] | number[][] | null`, and OpenAI's API reference says a prompt not
// given is generated "as if from the beginning of a new document" (<|endoftext|>, its default).
// openai-openapi#45, making it required: "they can always send null, empty string, or empty array".
// So null is a prompt (the upstream's to read), never the gateway's 400; a body without the field
// is still refused, as the spec requires it.

const asked: Record<string, unknown>[] = [];
let gateway: UpstreamGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const body = (await request.json()) as Record<string, unknown>;
      asked.push(body);
      return Response.json({
        id: "cmpl-1",
        object: "text_completion",
        created: 1,
        model: body.model,
        choices: [{ index: 0, text: "Once upon a time", logprobs: null, finish_reason: "length" }],
        usage: { prompt_tokens: 1, completion_tokens: 4, total_tokens: 5 },
      });
    },
    (upstream) => ({
      providers: [
        { name: "up", type: "openai", base_url: `${upstream}/v1` },
        { name: "demo", type: "mock" },
      ],
      models: [
        { name: "instruct", routes: [{ provider: "up", model: "gpt-3.5-turbo-instruct" }] },
        { name: "mock", routes: [{ provider: "demo", model: "mock" }] },
      ],
    }),
  );
  client = gatewaySdks(gateway).openai;
});

afterAll(() => gateway.stop());

describe("completions with prompt: null", () => {
  test("is passed to an OpenAI upstream as sent, and its answer relayed", async () => {
    const completion = await client.completions.create({ model: "instruct", prompt: null, max_tokens: 4 });
    expect(completion.choices[0]?.text).toBe("Once upon a time");
    expect(asked.at(-1)).toMatchObject({ model: "gpt-3.5-turbo-instruct", prompt: null, max_tokens: 4 });
  });

  test("is answered by the mock as an empty prompt, streamed too", async () => {
    const whole = await client.completions.create({ model: "mock", prompt: null });
    expect(whole.choices).toHaveLength(1);
    const stream = await client.completions.create({ model: "mock", prompt: null, stream: true });
    let chunks = 0;
    for await (const chunk of stream) chunks += chunk.choices.length;
    expect(chunks).toBeGreaterThan(0);
  });

  test("a body without a prompt is still refused, naming it", async () => {
    const response = await fetch(`${gateway.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gateway.adminKey}` },
      body: JSON.stringify({ model: "instruct" }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { param: "prompt", message: "prompt is required: a prompt" },
    });
  });
});
