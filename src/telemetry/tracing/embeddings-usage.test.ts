import { expect, test } from "bun:test";
import { SpanKind } from "@opentelemetry/api";
import { chatRoute } from "../../testing/answer-wire.ts";
import { tracedCall } from "../../testing/traced-models.ts";

// The GenAI conventions' embeddings span has input tokens and no output tokens: an embedding
// generates none. Its server and attempt spans carry `gen_ai.usage.input_tokens` alone, where
// they also said `gen_ai.usage.output_tokens: 0`.

const embeddings = {
  ...chatRoute({ name: "o", type: "openai", api_key: "k" }),
  model: "text-embedding-3-small",
  answer: () =>
    Response.json({
      object: "list",
      data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 3, total_tokens: 3 },
    }),
};

test("an embeddings call: input tokens on both spans, no output tokens", async () => {
  const { spans } = await tracedCall(embeddings, "/v1/embeddings", { input: "three words here" });
  const usage = (kind: SpanKind) => {
    const attributes = spans.find((span) => span.kind === kind)?.attributes ?? {};
    return [
      attributes["gen_ai.operation.name"],
      attributes["gen_ai.usage.input_tokens"],
      "gen_ai.usage.output_tokens" in attributes,
    ];
  };
  expect([usage(SpanKind.SERVER), usage(SpanKind.CLIENT)]).toEqual([
    ["embeddings", 3, false],
    ["embeddings", 3, false],
  ]);
});
