import { expect, test } from "bun:test";
import { ASK, claudeEvents, claudeMessage, sse } from "../../testing/answer-wire.ts";
import { type TracedRoute, tracedModels } from "../../testing/traced-models.ts";

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

test.each([
  ["messages", false, ANSWERED],
  ["messages", true, ANSWERED],
  ["chat", false, "m"],
  ["chat", true, "m"],
] as const)(
  "Anthropic to a %s caller (stream %p): the message's model in the trace",
  async (dialect, stream, said) => {
    const [path, body] = ASK[dialect];
    expect(
      await tracedModels(anthropic, path, { ...body, stream }, { "anthropic-version": "2023-06-01" }),
    ).toEqual({
      said,
      server: ANSWERED,
      attempt: ANSWERED,
    });
  },
);
