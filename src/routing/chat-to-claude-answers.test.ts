import { afterAll, beforeAll, expect, test } from "bun:test";
import type OpenAI from "openai";
import { CITATION, sseEvent as event, SEARCHED, SEARCHED_STREAM } from "../testing/claude-web-search.ts";
import { startRecordedRoute } from "../testing/recorded-route.ts";
import type { UpstreamGateway } from "../testing/upstream-gateway.ts";

// What a chat caller (openai 7.57) asks of, and is told by, a Claude route that chat can express
// though the dialects differ: `web_search_options` as Anthropic's web_search server tool, with the
// answer's web citations as chat's `url_citation` annotations; a refusal's `stop_details`
// explanation as chat's `refusal`; whole and streamed.

const JSON_TYPE = { "content-type": "application/json" };
const SSE_TYPE = { "content-type": "text/event-stream" };

const STOP_DETAILS = { type: "refusal", category: "cyber", explanation: "Not this one." };
const REFUSED = {
  ...SEARCHED,
  content: [{ type: "text", text: "I" }],
  stop_reason: "refusal",
  stop_details: STOP_DETAILS,
};
const REFUSED_STREAM = [
  event("message_start", { message: { ...REFUSED, content: [], stop_reason: null, stop_details: null } }),
  event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  event("content_block_delta", { index: 0, delta: { type: "text_delta", text: "I" } }),
  event("content_block_stop", { index: 0 }),
  event("message_delta", {
    delta: { stop_reason: "refusal", stop_sequence: null, stop_details: STOP_DETAILS },
    usage: { output_tokens: 2 },
  }),
  event("message_stop", {}),
].join("");

let gateway: UpstreamGateway;
let openai: OpenAI;
let sent: Record<string, unknown>[];

beforeAll(async () => {
  ({ gateway, openai, sent } = await startRecordedRoute("anthropic", "claude", (body) => {
    const refused = JSON.stringify(body.messages).includes("refuse");
    if (body.stream === true)
      return new Response(refused ? REFUSED_STREAM : SEARCHED_STREAM, { headers: SSE_TYPE });
    return new Response(JSON.stringify(refused ? REFUSED : SEARCHED), { headers: JSON_TYPE });
  }));
});

afterAll(() => gateway.stop());

test("web_search_options: Anthropic's web_search tool, the location mapped, the context size named", async () => {
  const { data, response } = await openai.chat.completions
    .create({
      model: "claude",
      messages: [{ role: "user", content: "weather?" }],
      web_search_options: {
        search_context_size: "high",
        user_location: { type: "approximate", approximate: { city: "Paris", country: "FR" } },
      },
    })
    .withResponse();
  expect(sent.at(-1)?.tools).toEqual([
    {
      type: "web_search_20250305",
      name: "web_search",
      user_location: { type: "approximate", city: "Paris", country: "FR" },
    },
  ]);
  expect(response.headers.get("x-mindgw-dropped")).toBe("web_search_options.search_context_size");
  const message = data.choices[0]?.message;
  expect(message?.content).toBe("Looking. It is sunny.");
  expect(message?.annotations).toEqual([
    {
      type: "url_citation",
      url_citation: { url: CITATION.url, title: "Weather", start_index: 9, end_index: 21 },
    },
  ]);
  expect(data.choices[0]?.finish_reason).toBe("stop");
});

test("streamed: the text, then the annotations in a delta of their own before the finish, as OpenAI's search models stream them", async () => {
  const stream = await openai.chat.completions.create({
    model: "claude",
    messages: [{ role: "user", content: "weather?" }],
    web_search_options: {},
    stream: true,
  });
  const deltas: Record<string, unknown>[] = [];
  const finishes: (string | null | undefined)[] = [];
  for await (const chunk of stream) {
    deltas.push({ ...chunk.choices[0]?.delta });
    finishes.push(chunk.choices[0]?.finish_reason);
  }
  expect(deltas.map((delta) => delta.content ?? "").join("")).toBe("Looking. It is sunny.");
  const at = deltas.findIndex((delta) => delta.annotations !== undefined);
  // Not in OpenAI's SDK types (`ChoiceDelta` has no `annotations`), but in what its API streams.
  expect(deltas[at]).toEqual({
    annotations: [
      {
        type: "url_citation",
        url_citation: { url: CITATION.url, title: "Weather", start_index: 9, end_index: 21 },
      },
    ],
  });
  expect(at).toBe(deltas.length - 2);
  expect(finishes.at(-1)).toBe("stop");
});

test("web_search_options beside the caller's functions: both go", async () => {
  await openai.chat.completions.create({
    model: "claude",
    messages: [{ role: "user", content: "weather?" }],
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
    web_search_options: {},
  });
  expect(sent.at(-1)?.tools).toEqual([
    { name: "f", input_schema: { type: "object" } },
    { type: "web_search_20250305", name: "web_search" },
  ]);
});

test("a refusal's explanation is chat's refusal, whole", async () => {
  const answer = await openai.chat.completions.create({
    model: "claude",
    messages: [{ role: "user", content: "refuse me" }],
  });
  expect(answer.choices[0]?.message.refusal).toBe("Not this one.");
  expect(answer.choices[0]?.message.content).toBe("I");
  expect(answer.choices[0]?.finish_reason).toBe("content_filter");
});

test("a refusal's explanation is chat's refusal, streamed (the SDK's gathered message has it)", async () => {
  const stream = openai.chat.completions.stream({
    model: "claude",
    messages: [{ role: "user", content: "refuse me" }],
    stream: true,
  });
  const refusals: string[] = [];
  stream.on("refusal.delta", ({ delta }) => refusals.push(delta));
  const answer = await stream.finalChatCompletion();
  expect(refusals).toEqual(["Not this one."]);
  expect(answer.choices[0]?.message.refusal).toBe("Not this one.");
  expect(answer.choices[0]?.message.content).toBe("I");
  expect(answer.choices[0]?.finish_reason).toBe("content_filter");
});
