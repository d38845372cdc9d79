import { afterAll, beforeAll, expect, test } from "bun:test";
import type OpenAI from "openai";
import { CITATION, SEARCHED, SEARCHED_STREAM } from "../testing/claude-web-search.ts";
import { startRecordedRoute } from "../testing/recorded-route.ts";
import type { UpstreamGateway } from "../testing/upstream-gateway.ts";

// A Responses caller (openai 7.57, responses.create and responses.stream) with a web_search tool,
// on a Claude route: Anthropic's web_search server tool asked, the location mapped and the context
// size named, and the answer's web citations as the output_text part's url_citation annotations.

let gateway: UpstreamGateway;
let openai: OpenAI;
let sent: Record<string, unknown>[];

beforeAll(async () => {
  ({ gateway, openai, sent } = await startRecordedRoute("anthropic", "claude", (body) => {
    if (body.stream === true)
      return new Response(SEARCHED_STREAM, { headers: { "content-type": "text/event-stream" } });
    return Response.json(SEARCHED);
  }));
});

afterAll(() => gateway.stop());

/** The answer's text, "Looking. It is sunny.", cites its second sentence. */
const ANNOTATION = {
  type: "url_citation" as const,
  url: CITATION.url,
  title: "Weather",
  start_index: 9,
  end_index: 21,
};

const textPart = (response: OpenAI.Responses.Response) =>
  response.output.flatMap((item) => (item.type === "message" ? item.content : []))[0];

test("whole: Anthropic's web_search tool, the location mapped, the context size named, the citation flat", async () => {
  const { data, response } = await openai.responses
    .create({
      model: "claude",
      input: "weather?",
      tools: [
        {
          type: "web_search_preview",
          search_context_size: "high",
          user_location: { type: "approximate", city: "Paris", country: "FR" },
        },
      ],
    })
    .withResponse();
  expect(sent.at(-1)?.tools).toEqual([
    {
      type: "web_search_20250305",
      name: "web_search",
      user_location: { type: "approximate", city: "Paris", country: "FR" },
    },
  ]);
  expect(response.headers.get("x-mindgw-dropped")).toBe("tools.web_search.search_context_size");
  expect(textPart(data)).toEqual({
    type: "output_text",
    text: "Looking. It is sunny.",
    annotations: [ANNOTATION],
    logprobs: [],
  });
});

test("streamed: one annotation.added after the text, before its done, and on the response", async () => {
  const stream = openai.responses.stream({
    model: "claude",
    input: "weather?",
    tools: [{ type: "web_search" }],
  });
  const types: string[] = [];
  const added: unknown[] = [];
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === "response.output_text.annotation.added") added.push(event.annotation);
  }
  expect(sent.at(-1)?.tools).toEqual([{ type: "web_search_20250305", name: "web_search" }]);
  expect(added).toEqual([ANNOTATION]);
  expect(types.lastIndexOf("response.output_text.delta")).toBeLessThan(
    types.indexOf("response.output_text.annotation.added"),
  );
  expect(types.indexOf("response.output_text.annotation.added")).toBeLessThan(
    types.indexOf("response.output_text.done"),
  );
  const final = await stream.finalResponse();
  const part = textPart(final);
  expect(part?.type === "output_text" ? part.annotations : undefined).toEqual([ANNOTATION]);
});
