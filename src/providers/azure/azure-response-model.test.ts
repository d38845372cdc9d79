import { expect, test } from "bun:test";
import { ANSWERED, ASK, CALLERS, chatRoute } from "../../testing/answer-wire.ts";
import { tracedModels } from "../../testing/traced-models.ts";

// Azure OpenAI answers in OpenAI's format, naming the model its deployment runs
// (`gpt-4o-mini-2024-07-18`; a stream's first chunk, of prompt filter results, names none): the
// trace's `gen_ai.response.model`, whole or streamed, whatever the caller's dialect.

const azure = chatRoute({
  name: "az",
  type: "azure",
  api_key: "k",
  base_url: "https://res.openai.azure.com",
  api_version: "v1",
});
const prompted = {
  ...azure,
  answer: async (url: string, sent: { stream?: unknown }) => {
    const answer = await azure.answer(url, sent);
    if (!sent.stream) return answer;
    // Azure opens a stream with a chunk of prompt filter results, no choices and no model.
    const opening = { id: "", object: "", created: 0, model: "", choices: [], prompt_filter_results: [] };
    return new Response(`data: ${JSON.stringify(opening)}\n\n${await answer.text()}`, {
      headers: { "content-type": "text/event-stream" },
    });
  },
};

test.each(CALLERS)(
  "Azure to a %s caller (stream %p): the answer's model in the trace",
  async (dialect, stream, said) => {
    const [path, body] = ASK[dialect];
    expect(
      await tracedModels(prompted, path, { ...body, stream }, { "anthropic-version": "2023-06-01" }),
    ).toEqual({
      said,
      server: ANSWERED,
      attempt: ANSWERED,
    });
  },
);
