import { claudeEvents, claudeMessage, sse } from "../../testing/answer-wire.ts";
import { claudeModelInTrace } from "../../testing/claude-model-in-trace.ts";
import type { TracedRoute } from "../../testing/traced-models.ts";
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

claudeModelInTrace("Vertex AI Claude", vertex, ANSWERED);
