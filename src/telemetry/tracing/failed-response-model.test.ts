import { expect, test } from "bun:test";
import { ASK, chatRoute } from "../../testing/answer-wire.ts";
import { tracedModels } from "../../testing/traced-models.ts";

// `gen_ai.response.model` is "the name of the model that generated the response" (GenAI
// conventions): a request that failed before any answer came names none on its server span, as
// its failed attempt's span names none, rather than the model it asked the route for.

const failing = {
  ...chatRoute({ name: "o", type: "openai", api_key: "k" }),
  answer: () =>
    Response.json({ error: { message: "overloaded", type: "server_error", code: null } }, { status: 500 }),
};

test.each([false, true])(
  "an upstream's 500 (stream %p): no response model on either span",
  async (stream) => {
    const [path, body] = ASK.chat;
    expect(await tracedModels(failing, path, { ...body, stream }, {}, 500)).toEqual({
      said: undefined,
      server: undefined,
      attempt: undefined,
    });
  },
);
