import { expect, test } from "bun:test";
import { converseFrames, converseJson } from "../../../test/fake-cloud/bedrock-wire.ts";
import { titanAnswer } from "../../../test/fake-cloud/embedding-wire.ts";
import { ASK } from "../../testing/answer-wire.ts";
import { type TracedRoute, tracedModels } from "../../testing/traced-models.ts";

// Converse names no model in its answer: the trace's `gen_ai.response.model` is the model the
// route asked Bedrock for (its modelId, in the URL), whole or streamed, whatever the caller's
// dialect; the caller's answer names the model it asked, as every answer the gateway writes does.

const MODEL = "us.anthropic.claude-sonnet-4-5-v1:0";
const ANSWER = { text: "Paris.", inputTokens: 5, outputTokens: 2 };

const converse: TracedRoute = {
  provider: {
    name: "br",
    type: "bedrock",
    region: "us-east-1",
    base_url: "https://bedrock.test",
    aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
  },
  model: MODEL,
  answer: (url) => {
    if (!url.endsWith("/converse-stream")) return Response.json(converseJson(ANSWER));
    const frames = converseFrames(ANSWER);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const frame of frames) controller.enqueue(frame);
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/vnd.amazon.eventstream" } });
  },
};

test.each([
  ["chat", false],
  ["chat", true],
  ["messages", false],
  ["messages", true],
] as const)(
  "Converse to a %s caller (stream %p): the route's model in the trace, the caller's in its answer",
  async (dialect, stream) => {
    const [path, body] = ASK[dialect];
    expect(await tracedModels(converse, path, { ...body, stream })).toEqual({
      said: "m",
      server: MODEL,
      attempt: MODEL,
    });
  },
);

test("embeddings through InvokeModel, whose answer names no model: the route's model in the trace", async () => {
  const titan: TracedRoute = {
    ...converse,
    model: "amazon.titan-embed-text-v2:0",
    answer: (_, sent) => Response.json(titanAnswer(sent, "amazon.titan-embed-text-v2:0")),
  };
  expect(await tracedModels(titan, "/v1/embeddings", { input: "hi" })).toEqual({
    said: "m",
    server: "amazon.titan-embed-text-v2:0",
    attempt: "amazon.titan-embed-text-v2:0",
  });
});
