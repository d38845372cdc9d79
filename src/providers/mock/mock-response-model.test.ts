import { expect, test } from "bun:test";
import { ASK } from "../../testing/answer-wire.ts";
import { tracedModels } from "../../testing/traced-models.ts";

// The mock writes its answers itself, naming the model the caller asked: the trace's
// `gen_ai.response.model` is the route's, as for any provider whose answers name no upstream's.

const mock = {
  provider: { name: "mk", type: "mock" },
  model: "mock-small",
  answer: () => {
    throw new Error("the mock calls no upstream");
  },
};

test.each([false, true])(
  "the mock (stream %p): the route's model in the trace, the caller's in its answer",
  async (stream) => {
    const [path, body] = ASK.chat;
    expect(await tracedModels(mock, path, { ...body, stream })).toEqual({
      said: "m",
      server: "mock-small",
      attempt: "mock-small",
    });
  },
);
