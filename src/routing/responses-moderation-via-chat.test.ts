import { afterAll, beforeAll, expect, test } from "bun:test";
import type OpenAI from "openai";
import { startRecordedRoute } from "../testing/recorded-route.ts";
import type { UpstreamGateway } from "../testing/upstream-gateway.ts";

// A Responses caller's `moderation` (openai 7.57) to a chat route: chat takes the same request
// shape, and answers a `moderation_results` list a side where Responses has one result a side.

const JSON_TYPE = { "content-type": "application/json" };
const SSE_TYPE = { "content-type": "text/event-stream" };

const result = (flagged: boolean, score: number, types: string[]) => ({
  type: "moderation_result",
  model: "omni-moderation-latest",
  flagged,
  categories: { violence: flagged, hate: false },
  category_scores: { violence: score, hate: 0.01 },
  category_applied_input_types: { violence: types, hate: ["text"] },
});
const MODERATION = {
  input: {
    type: "moderation_results",
    model: "omni-moderation-latest",
    results: [result(false, 0.2, ["text"]), result(true, 0.9, ["image"])],
  },
  output: { type: "error", code: "moderation_unavailable", message: "later" },
};
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const WHOLE = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "up",
  choices: [{ index: 0, message: { role: "assistant", content: "Hi." }, finish_reason: "stop" }],
  usage: USAGE,
  moderation: MODERATION,
};
const chunk = (body: object) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "up", ...body })}\n\n`;
const STREAM = [
  chunk({ choices: [{ index: 0, delta: { role: "assistant", content: "Hi." }, finish_reason: "stop" }] }),
  chunk({ choices: [], moderation: MODERATION }),
  chunk({ choices: [], usage: USAGE }),
  "data: [DONE]\n\n",
].join("");

const ASKED = {
  model: "omni-moderation-latest",
  policy: { input: { mode: "score" }, output: { mode: "block" } },
};
const ANSWERED = {
  input: {
    type: "moderation_result",
    model: "omni-moderation-latest",
    flagged: true,
    categories: { violence: true, hate: false },
    category_scores: { violence: 0.9, hate: 0.01 },
    category_applied_input_types: { violence: ["text", "image"], hate: ["text"] },
  },
  output: MODERATION.output,
};

let gateway: UpstreamGateway;
let openai: OpenAI;
let sent: Record<string, unknown>[];

beforeAll(async () => {
  ({ gateway, openai, sent } = await startRecordedRoute("openai", "chat", (body) => {
    if (body.stream === true) return new Response(STREAM, { headers: SSE_TYPE });
    return new Response(JSON.stringify(WHOLE), { headers: JSON_TYPE });
  }));
});

afterAll(() => gateway.stop());

test.each([false, true])(
  "moderation asked as sent, answered as one result a side (stream %p)",
  async (stream) => {
    const ask = { model: "chat", input: "hi", moderation: ASKED } as OpenAI.Responses.ResponseCreateParams;
    let response: OpenAI.Responses.Response;
    let dropped: string | null;
    if (stream) {
      const events = await openai.responses.create({ ...ask, stream: true }).withResponse();
      dropped = events.response.headers.get("x-mindgw-dropped");
      let done: OpenAI.Responses.Response | undefined;
      for await (const event of events.data) if (event.type === "response.completed") done = event.response;
      if (!done) throw new Error("no response.completed");
      response = done;
    } else {
      const whole = await openai.responses.create({ ...ask, stream: false }).withResponse();
      dropped = whole.response.headers.get("x-mindgw-dropped");
      response = whole.data;
    }
    expect(sent.at(-1)?.moderation).toEqual(ASKED);
    expect(dropped).toBeNull();
    expect(response.moderation).toEqual(ANSWERED as OpenAI.Responses.Response["moderation"]);
    // The answer itself as before (output_text is the SDK's own, on a whole answer alone).
    expect(response.output).toMatchObject([
      { type: "message", content: [{ type: "output_text", text: "Hi." }] },
    ]);
  },
);
