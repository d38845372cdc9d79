import { claudeEvents, claudeMessage, sse } from "../../testing/answer-wire.ts";
import { claudeModelInTrace } from "../../testing/claude-model-in-trace.ts";
import type { TracedRoute } from "../../testing/traced-models.ts";

// Anthropic names the model that answered in its message (`model`, a stream's in `message_start`):
// the trace's `gen_ai.response.model`, whole or streamed, passed through to an Anthropic caller or
// translated for an OpenAI one, who is answered in the name it asked.

const ANSWERED = "claude-sonnet-4-5-20250929";

const anthropic: TracedRoute = {
  provider: { name: "a", type: "anthropic", api_key: "k", base_url: "http://anthropic.test" },
  model: "claude-sonnet-4-5",
  answer: (_, sent) =>
    sent.stream ? sse(claudeEvents(ANSWERED), true) : Response.json(claudeMessage(ANSWERED)),
};

claudeModelInTrace("Anthropic", anthropic, ANSWERED);
