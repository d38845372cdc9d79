import { describe, expect, setDefaultTimeout, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { shadowFixture } from "./harness/shadow-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// Shadows beyond chat: embeddings compared as vectors, count_tokens never copied, and a Responses
// call's stored response the client's answer, never its shadow's.

const shadow = shadowFixture();
const { client, pairOf, shadowMetrics, shadowPage } = shadow;

describe("embeddings and token counts", () => {
  test("embeddings are compared as vectors, the SDK's base64 decoded: the same ones exact, others by cosine", async () => {
    const embed = async (model: string) => {
      // The SDK asks for base64 unless told otherwise.
      const { response } = await client()
        .embeddings.create({ model, input: ["the sky is blue", "grass is green"] })
        .withResponse();
      return pairOf(response.headers.get("x-request-id") ?? "");
    };
    const same = await embed("emb-same");
    expect(same.agreement).toEqual({
      exact: true,
      similarity: 1,
      primaryJsonValid: null,
      shadowJsonValid: null,
      toolsAgree: null,
      finishAgrees: null,
    });
    expect([same.primary.answer, same.shadow.answer]).toEqual([
      "2 vectors of 8 dimensions",
      "2 vectors of 8 dimensions",
    ]);
    // The mock's vectors are other numbers of the same length: not exact, not the same direction.
    const other = await embed("emb-other");
    expect(other.shadow).toMatchObject({ status: 200, upstreamModel: "mock-emb" });
    expect(other.agreement.exact).toBe(false);
    expect(other.agreement.similarity).toBeGreaterThanOrEqual(0);
    expect(other.agreement.similarity).toBeLessThan(0.9);
    const rates = (await shadowPage()).aggregates;
    expect(rates.find((agg) => agg.model === "emb-other")?.exactRate).toBe(0);
    expect(rates.find((agg) => agg.model === "emb-same")?.exactRate).toBe(1);
  });

  test("count_tokens is never copied to the shadow route; the model's messages are", async () => {
    const before = await shadowMetrics();
    const anthropic = new Anthropic({ baseURL: shadow.gw.url, apiKey: shadow.admin, maxRetries: 0 });
    const ask = { model: "counted", messages: [{ role: "user" as const, content: "count me" }] };
    const counted = await anthropic.messages.countTokens(ask).withResponse();
    expect(counted.data.input_tokens).toBeGreaterThan(0);
    // A message after it is copied: once its pair is in, a copy of the count would be too.
    const message = await anthropic.messages.create({ ...ask, max_tokens: 64 }).withResponse();
    await pairOf(message.response.headers.get("x-request-id") ?? "");
    const countId = counted.response.headers.get("x-request-id");
    expect((await shadowPage({ limit: "500" })).records.some((r) => r.requestId === countId)).toBe(false);
    const after = await waitFor("the message's copy counted", async () => {
      const now = await shadowMetrics();
      return now.inFlight === 0 ? now : undefined;
    });
    expect(after.copies("twin", "ok")).toBe(before.copies("twin", "ok") + 1);
    expect(after.copies("twin", "unsupported_operation")).toBe(0);
  });
});

describe("a Responses call's stored response is the client's answer, never its shadow's", () => {
  for (const stream of [false, true])
    test(`${stream ? "stream" : "non-stream"}: GET /v1/responses/{id} and the next turn of the chain read what the client got`, async () => {
      const turn = `stored ${stream ? "streamed" : "whole"} turn`;
      let id = "";
      let text = "";
      let requestId = "";
      if (stream) {
        const { data, response } = await client()
          .responses.create({ model: "answers-other", input: turn, stream: true })
          .withResponse();
        requestId = response.headers.get("x-request-id") ?? "";
        for await (const event of data)
          if (event.type === "response.completed") {
            id = event.response.id;
            text = event.response.output
              .flatMap((item) => (item.type === "message" ? item.content : []))
              .map((part) => (part.type === "output_text" ? part.text : ""))
              .join("");
          }
      } else {
        const { data, response } = await client()
          .responses.create({ model: "answers-other", input: turn })
          .withResponse();
        requestId = response.headers.get("x-request-id") ?? "";
        ({ id, output_text: text } = data);
      }
      expect(text).toBe(`echo: ${turn}`);
      // The shadow answered otherwise, and after the client had its answer.
      const pair = await pairOf(requestId);
      expect(pair.shadow.status).toBe(200);
      expect(pair.shadow.answer).toContain("more1");
      expect(pair.agreement.exact).toBe(false);
      expect((await client().responses.retrieve(id)).output_text).toBe(text);
      const next = `after the ${stream ? "streamed" : "whole"} turn`;
      await client().responses.create({ model: "plain", input: next, previous_response_id: id });
      const sent = shadow.fake.requests.find((r) => JSON.stringify(r.body).includes(next));
      const messages =
        (sent?.body as { messages?: { role: string; content: unknown }[] } | undefined)?.messages ?? [];
      expect(messages.filter((m) => m.role === "assistant").map((m) => m.content)).toEqual([text]);
    });
});
