import { expect, test } from "bun:test";
import { ANSWERED, ASK, CALLERS, chatRoute, sse } from "../../testing/answer-wire.ts";
import { tracedModels } from "../../testing/traced-models.ts";

// An OpenAI-compatible server names the model that answered in its answer and each chunk
// (`gpt-4o-mini` answers as `gpt-4o-mini-2024-07-18`): the trace's `gen_ai.response.model`, whole
// or streamed, passed through to a chat caller or translated for a Messages or Responses one, who
// is answered in the name it asked.

const compatible = chatRoute({ name: "o", type: "openai", api_key: "k", base_url: "http://vllm.test/v1" });

test.each(CALLERS)(
  "OpenAI-compatible to a %s caller (stream %p): the answer's model in the trace",
  async (dialect, stream, said) => {
    const [path, body] = ASK[dialect];
    expect(
      await tracedModels(compatible, path, { ...body, stream }, { "anthropic-version": "2023-06-01" }),
    ).toEqual({
      said,
      server: ANSWERED,
      attempt: ANSWERED,
    });
  },
);

/** A Responses API answer as OpenAI writes it, naming `model`. */
const response = (model: string) => ({
  id: "resp_1",
  object: "response",
  created_at: 1_764_000_000,
  status: "completed",
  model,
  output: [
    {
      type: "message",
      id: "msg_1",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: "Paris.", annotations: [] }],
    },
  ],
  usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 },
});

const openAI = {
  ...chatRoute({ name: "o", type: "openai", api_key: "k" }),
  answer: (url: string, sent: { stream?: unknown }) => {
    if (!url.endsWith("/responses")) throw new Error(`not a Responses call: ${url}`);
    if (!sent.stream) return Response.json(response(ANSWERED));
    const { status: _, ...begun } = response(ANSWERED);
    return sse(
      [
        { type: "response.created", response: { ...begun, status: "in_progress", output: [], usage: null } },
        { type: "response.completed", response: response(ANSWERED) },
      ],
      true,
    );
  },
};

test.each([false, true])(
  "OpenAI's Responses API to a Responses caller (stream %p), passed through: the response's model in the trace",
  async (stream) => {
    const [path, body] = ASK.responses;
    expect(await tracedModels(openAI, path, { ...body, stream })).toEqual({
      said: ANSWERED,
      server: ANSWERED,
      attempt: ANSWERED,
    });
  },
);
