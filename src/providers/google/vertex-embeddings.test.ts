import { expect, test } from "bun:test";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import type { JsonObject } from "../../core/dialect.ts";
import { providerCall } from "../../testing/provider-call.ts";
import type { ProviderCall } from "../provider.ts";
import { createGoogleProvider, vertexEndpoint } from "./gemini-provider.ts";

// Vertex AI's `predict` for its text-embedding models, as Google caps a call: 250 instances and
// 20,000 input tokens (a 400 past either). The fake counts with o200k, standing in for Google's
// tokenizer; the gateway must cut a long list into calls under both caps, joined in order.

const VERTEX_TOKEN_CAP = 20_000;

/** A Vertex provider whose `predict` refuses as Google does, recording each call's texts. */
function vertexFake() {
  const calls: string[][] = [];
  const send = async (_url: unknown, init?: RequestInit) => {
    const { instances } = JSON.parse(String(init?.body)) as { instances: { content: string }[] };
    const texts = instances.map((instance) => instance.content);
    calls.push(texts);
    const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
    if (texts.length > 250 || tokens > VERTEX_TOKEN_CAP)
      return Response.json(
        {
          error: {
            code: 400,
            message: `Unable to submit request because the input token count is ${tokens} but the model supports up to ${VERTEX_TOKEN_CAP}. Reduce the input token count and try again.`,
            status: "INVALID_ARGUMENT",
          },
        },
        { status: 400 },
      );
    return Response.json({
      predictions: texts.map((text) => ({
        embeddings: { statistics: { token_count: countTokens(text) }, values: [text.length] },
      })),
    });
  };
  const provider = createGoogleProvider({
    name: "vx",
    vendor: "gcp.vertex_ai",
    endpoint: vertexEndpoint("acme", "us-central1", "http://vertex.test", {
      get: async () => "token",
      invalidate: () => false,
    }),
    fetch: Object.assign(send, { preconnect: () => {} }) as typeof fetch,
  });
  return { provider, calls };
}

const embeddings = (input: string[]): ProviderCall =>
  providerCall({ model: "text-embedding-005", input }, { operation: "embeddings" });

test("a list over Vertex AI's 20,000 tokens a call is sent in calls under it, answered whole and in order", async () => {
  // 250 chunks of ~300 tokens, as a RAG loader sends them: 75,000 tokens, within 250 instances.
  const texts = Array.from(
    { length: 250 },
    (_, i) => `chunk ${i}: ${"lorem ipsum dolor sit amet ".repeat(60)}`,
  );
  const { provider, calls } = vertexFake();
  const reply = await provider.call(embeddings(texts));
  if (reply.kind !== "json") throw new Error("expected a whole answer");
  const data = reply.body.data as JsonObject[];
  expect(data.map((item) => item.index)).toEqual(texts.map((_, i) => i));
  expect(data.map((item) => item.embedding)).toEqual(texts.map((text) => [text.length]));
  expect(calls.length).toBeGreaterThan(1);
  expect(calls.flat()).toEqual(texts);
  for (const call of calls)
    expect(call.reduce((sum, text) => sum + countTokens(text), 0)).toBeLessThanOrEqual(VERTEX_TOKEN_CAP);
  const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  expect(reply.body.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
});

test("a short list goes in one call, and a gemini-embedding model's one text a call", async () => {
  const { provider, calls } = vertexFake();
  await provider.call(embeddings(["a", "b", "c"]));
  expect(calls).toEqual([["a", "b", "c"]]);
  const gemini = vertexFake();
  await gemini.provider.call({
    ...embeddings(["a", "b"]),
    body: { model: "gemini-embedding-001", input: ["a", "b"] },
  });
  expect(gemini.calls).toEqual([["a"], ["b"]]);
});
