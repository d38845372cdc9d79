import { expect, test } from "bun:test";
import { ASK, claudeEvents, claudeMessage, sse } from "../../testing/answer-wire.ts";
import { type TracedRoute, tracedModels } from "../../testing/traced-models.ts";
import { vertexEndpoint } from "./gemini-provider.ts";
import { createVertexAnthropicProvider } from "./vertex-anthropic-provider.ts";

// Claude on Vertex AI answers in Anthropic's own message, which names the model that answered
// (`model`, a stream's in `message_start`): the trace's `gen_ai.response.model`, whole or
// streamed, passed through to an Anthropic caller or translated for an OpenAI one.

const ANSWERED = "claude-sonnet-4-5-20250929";

const vertex: TracedRoute = {
  provider: {
    name: "vc",
    type: "vertex",
    publisher: "anthropic",
    project: "acme",
    location: "us-east5",
    service_account: "/none.json",
  },
  model: "claude-sonnet-4-5@20250929",
  answer: (url) =>
    url.endsWith(":streamRawPredict")
      ? sse(claudeEvents(ANSWERED), true)
      : Response.json(claudeMessage(ANSWERED)),
  build: (fetch) =>
    createVertexAnthropicProvider({
      name: "vc",
      fetch,
      endpoint: vertexEndpoint(
        "acme",
        "us-east5",
        "http://vertex.test",
        { get: async () => "token", invalidate: () => false },
        "anthropic",
      ),
    }),
};

test.each([
  ["messages", false, ANSWERED],
  ["messages", true, ANSWERED],
  ["chat", false, "m"],
  ["chat", true, "m"],
] as const)(
  "Vertex AI Claude to a %s caller (stream %p): the message's model in the trace",
  async (dialect, stream, said) => {
    const [path, body] = ASK[dialect];
    expect(
      await tracedModels(vertex, path, { ...body, stream }, { "anthropic-version": "2023-06-01" }),
    ).toEqual({
      said,
      server: ANSWERED,
      attempt: ANSWERED,
    });
  },
);
