import { describe, expect, test } from "bun:test";
import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import { urlCitation } from "../url-citation.ts";
import { chatResponseToResponse } from "./chat-response-to-response.ts";
import { ResponsesStreamWriter } from "./responses-stream-writer.ts";

// A search model's answer (Claude's web_search, Gemini's grounding, translated to chat): its text
// and url_citation annotations over it, as the Responses API says them.

const TEXT = "Paris: rain 🌧. Tokyo: sun.";
const FIRST = "Paris: rain 🌧.";
const SECOND = "Tokyo: sun.";
const CHAT_ANNOTATIONS = [
  urlCitation("https://a.example/paris", "meteo.fr", 0, FIRST.length),
  urlCitation("https://b.example/tokyo", "jma.go.jp", TEXT.indexOf(SECOND), TEXT.length),
];
const FLAT = [
  {
    type: "url_citation",
    url: "https://a.example/paris",
    title: "meteo.fr",
    start_index: 0,
    end_index: FIRST.length,
  },
  {
    type: "url_citation",
    url: "https://b.example/tokyo",
    title: "jma.go.jp",
    start_index: TEXT.indexOf(SECOND),
    end_index: TEXT.length,
  },
];
const request = { model: "m", input: "weather?" };

/** Each annotation's cited text, by its indexes into `text`. */
const cited = (text: string, annotations: readonly JsonObject[]) =>
  annotations.map((a) => text.slice(a.start_index as number, a.end_index as number));

/** The first content part of an output item. */
const firstPart = (item: unknown): JsonObject | undefined => {
  const content = isJsonObject(item) && Array.isArray(item.content) ? item.content[0] : undefined;
  return isJsonObject(content) ? content : undefined;
};

/** The `n`th output item of a response. */
const outputOf = (response: unknown, n = 0): unknown =>
  isJsonObject(response) && Array.isArray(response.output) ? response.output[n] : undefined;

describe("url_citation annotations on a Responses answer", () => {
  test("whole: the output_text part's, flat, its indexes cutting the cited sentences", () => {
    const chat = {
      created: 1,
      choices: [
        {
          index: 0,
          finish_reason: "stop",
          message: { role: "assistant", content: TEXT, annotations: CHAT_ANNOTATIONS },
        },
      ],
    };
    const response = chatResponseToResponse(chat, request, "resp_w");
    expect(firstPart(outputOf(response))?.annotations).toEqual(FLAT);
    expect(cited(TEXT, FLAT)).toEqual([FIRST, SECOND]);
  });

  test("streamed: annotation.added each, before the part is done, then on the done events and the response", () => {
    let stored: JsonObject | undefined;
    const writer = new ResponsesStreamWriter({
      id: "resp_s",
      request: { ...request, stream: true },
      createdAt: 1,
      onResponse: (response) => {
        stored = response;
      },
    });
    const chunks: OpenAIChunk[] = [
      { choices: [{ index: 0, delta: { content: FIRST } }] },
      { choices: [{ index: 0, delta: { content: TEXT.slice(FIRST.length) } }] },
      { choices: [{ index: 0, delta: { annotations: CHAT_ANNOTATIONS } }] },
      { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    ];
    const events = [...writer.start(), ...chunks.flatMap((chunk) => writer.chunk(chunk)), ...writer.finish()];
    const data: JsonObject[] = events.map((event) => ({
      type: event.event,
      ...(JSON.parse(event.data) as JsonObject),
    }));
    const types = data.map((event) => event.type);
    const added = data.filter((event) => event.type === "response.output_text.annotation.added");
    expect(added).toEqual(
      FLAT.map((annotation, i) => ({
        type: "response.output_text.annotation.added",
        item_id: "msg_s",
        output_index: 0,
        content_index: 0,
        annotation_index: i,
        annotation,
        sequence_number: expect.any(Number) as unknown as number,
      })),
    );
    expect(types.lastIndexOf("response.output_text.delta")).toBeLessThan(
      types.indexOf("response.output_text.annotation.added"),
    );
    expect(types.lastIndexOf("response.output_text.annotation.added")).toBeLessThan(
      types.indexOf("response.output_text.done"),
    );
    const partDone = data.find((event) => event.type === "response.content_part.done");
    expect(isJsonObject(partDone?.part) ? partDone.part.annotations : undefined).toEqual(FLAT);
    const itemDone = data.find((event) => event.type === "response.output_item.done");
    expect(firstPart(itemDone?.item)?.annotations).toEqual(FLAT);
    expect(firstPart(outputOf(stored))?.annotations).toEqual(FLAT);
  });

  test("text, a call, then cited text: the second message's annotations index its own text", () => {
    const before = "Let me check. ";
    const text = `${before}${TEXT}`;
    let stored: JsonObject | undefined;
    const writer = new ResponsesStreamWriter({
      id: "resp_c",
      request,
      createdAt: 1,
      whole: true,
      onResponse: (response) => {
        stored = response;
      },
    });
    const call = { index: 0, id: "c1", function: { name: "f", arguments: "{}" } };
    const chunks: OpenAIChunk[] = [
      { choices: [{ index: 0, delta: { content: before } }] },
      { choices: [{ index: 0, delta: { tool_calls: [call] } }] },
      { choices: [{ index: 0, delta: { content: TEXT } }] },
      {
        choices: [
          { index: 0, delta: { annotations: [urlCitation("u", "t", text.indexOf(SECOND), text.length)] } },
        ],
      },
      { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    ];
    for (const chunk of chunks) writer.chunk(chunk);
    writer.finish();
    const output = (stored?.output ?? []) as JsonObject[];
    expect(output.map((item) => item.type)).toEqual(["message", "function_call", "message"]);
    const part = firstPart(output[2]);
    expect(cited(String(part?.text), (part?.annotations ?? []) as JsonObject[])).toEqual([SECOND]);
    expect(firstPart(output[0])?.annotations).toEqual([]);
  });
});
