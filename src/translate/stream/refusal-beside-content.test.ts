import { afterAll, beforeAll, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { gatewaySdks } from "../../testing/gateway-sdks.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../../testing/upstream-gateway.ts";

// A chat server's stream whose one delta carries both `content` and `refusal` (OpenAI's schema has
// both fields on a delta, and a server may fill both), translated for a Messages caller and for a
// Responses caller, through the gateway on loopback and the official SDKs. The two writers walked a
// chunk's choices each its own way and had drifted: the Messages writer read the refusal only when
// the delta had no content, so the refusal's words and its stop_reason were lost, where the
// Responses writer kept both.

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-x",
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

const STREAM =
  chunk({ role: "assistant", content: "" }) +
  chunk({ content: "I can't help with that.", refusal: " It breaks the policy." }) +
  chunk({}, "stop") +
  "data: [DONE]\n\n";

/** The same answer whole, as a chat server answers it: both fields on the message. */
const WHOLE = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-x",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "I can't help with that.", refusal: " It breaks the policy." },
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 },
};

let gateway: UpstreamGateway;
let anthropic: Anthropic;
let openai: OpenAI;

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) =>
      ((await request.json()) as { stream?: boolean }).stream
        ? new Response(STREAM, { headers: { "content-type": "text/event-stream" } })
        : Response.json(WHOLE),
    (upstream) => ({
      providers: [{ name: "oa", type: "openai", base_url: `${upstream}/v1`, api_key: "k" }],
      models: [{ name: "gpt-x", routes: [{ provider: "oa", model: "gpt-x" }] }],
      routing: { retries: 0 },
    }),
  );
  ({ openai, anthropic } = gatewaySdks(gateway));
});

afterAll(() => gateway.stop());

test("a Messages caller is given the refusal beside the content, stop_reason refusal", async () => {
  const message = await anthropic.messages
    .stream({ model: "gpt-x", max_tokens: 100, messages: [{ role: "user", content: "x" }] })
    .finalMessage();
  expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
    "I can't help with that. It breaks the policy.",
  ]);
  expect(message.stop_reason).toBe("refusal");
});

test("whole alike: the refusal beside the content, stop_reason refusal", async () => {
  const message = await anthropic.messages.create({
    model: "gpt-x",
    max_tokens: 100,
    messages: [{ role: "user", content: "x" }],
  });
  expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
    "I can't help with that. It breaks the policy.",
  ]);
  expect(message.stop_reason).toBe("refusal");
});

test("a Responses caller is given both, the refusal as a message of its own", async () => {
  const response = await openai.responses.stream({ model: "gpt-x", input: "x" }).finalResponse();
  const parts = response.output.flatMap((item) =>
    item.type === "message"
      ? item.content.map((part) => (part.type === "output_text" ? part.text : `refusal:${part.refusal}`))
      : [],
  );
  expect(parts).toEqual(["I can't help with that.", "refusal: It breaks the policy."]);
});
