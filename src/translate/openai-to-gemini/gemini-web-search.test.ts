import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { nameUncarried } from "../chat-target.ts";
import { Dropped } from "../dropped.ts";
import { collect, payloads, replay } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { chatRequestToGemini, GEMINI_TARGET } from "./chat-request-to-gemini.ts";
import { geminiResponseToChat } from "./gemini-response-to-chat.ts";
import { GeminiChunkWriter, geminiEventReader } from "./gemini-stream-to-chat.ts";

// Chat's web search on a Gemini route: Google Search grounding out, its citations back as
// `url_citation` annotations over the message's content, whole and streamed.

const ASK = { model: "gemini-2.5-flash", messages: [{ role: "user", content: "news?" }] };

describe("web_search_options → Gemini's Google Search tool", () => {
  test("{} asks for search: the googleSearch tool, beside the function declarations", () => {
    expect(chatRequestToGemini({ ...ASK, web_search_options: {} }).tools).toEqual([{ googleSearch: {} }]);
    const withFunctions = chatRequestToGemini({
      ...ASK,
      web_search_options: {},
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
    });
    expect(withFunctions.tools).toEqual([
      { functionDeclarations: [{ name: "f", parametersJsonSchema: { type: "object" } }] },
      { googleSearch: {} },
    ]);
  });

  test("null asks nothing; anything but an object is the caller's 400", () => {
    expect(chatRequestToGemini({ ...ASK, web_search_options: null }).tools).toBeUndefined();
    expect(() => chatRequestToGemini({ ...ASK, web_search_options: "yes" })).toThrow(
      "web_search_options: must be an object",
    );
  });

  test("carried, not named; what Google Search has no setting for is named, or refused with reject", () => {
    const plain = new Dropped();
    nameUncarried({ ...ASK, web_search_options: {} }, GEMINI_TARGET, plain);
    expect(plain.list).toEqual([]);
    const body = {
      ...ASK,
      web_search_options: {
        search_context_size: "high",
        user_location: { type: "approximate", approximate: { city: "Paris", country: "FR" } },
      },
    };
    const dropped = new Dropped();
    nameUncarried(body, GEMINI_TARGET, dropped);
    expect(dropped.list).toEqual([
      "web_search_options.search_context_size",
      "web_search_options.user_location",
    ]);
    expect(() => nameUncarried(body, GEMINI_TARGET, new Dropped("reject"))).toThrow(
      "web_search_options.search_context_size: web_search_options.search_context_size has no equivalent in Gemini's Google Search tool",
    );
  });
});

/** An answer's text with characters of 2, 3 and 4 UTF-8 bytes, so byte and UTF-16 offsets part. */
const TEXT = "Le café ouvre à 8h. 東京 is busy 🚀. Tickets: 5€.";
const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const FIRST = "Le café ouvre à 8h.";
const SECOND = "東京 is busy 🚀.";
const SECOND_AT = TEXT.indexOf(SECOND);

/** Google's grounding as the Gemini API sends it: byte offsets, a first segment's 0 left out. */
const GROUNDING = {
  webSearchQueries: ["café opening hours"],
  searchEntryPoint: { renderedContent: "<div>…</div>" },
  groundingChunks: [
    { web: { uri: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/a", title: "cafe.fr" } },
    { web: { uri: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/b", title: "tokyo.jp" } },
    { retrievedContext: { uri: "gs://bucket/doc", title: "not the web" } },
  ],
  groundingSupports: [
    { segment: { endIndex: bytes(FIRST), text: FIRST }, groundingChunkIndices: [0] },
    {
      segment: {
        startIndex: bytes(TEXT.slice(0, SECOND_AT)),
        endIndex: bytes(TEXT.slice(0, SECOND_AT)) + bytes(SECOND),
        text: SECOND,
      },
      groundingChunkIndices: [1, 0, 2],
      confidenceScores: [0.9, 0.4, 0.2],
    },
  ],
};

const citation = (url: string, title: string, start: number, end: number) => ({
  type: "url_citation",
  url_citation: { url, title, start_index: start, end_index: end },
});

/** The annotations the grounding above makes: UTF-16 offsets, web sources only. */
const ANNOTATIONS = [
  citation(GROUNDING.groundingChunks[0]?.web?.uri ?? "", "cafe.fr", 0, FIRST.length),
  citation(GROUNDING.groundingChunks[1]?.web?.uri ?? "", "tokyo.jp", SECOND_AT, SECOND_AT + SECOND.length),
  citation(GROUNDING.groundingChunks[0]?.web?.uri ?? "", "cafe.fr", SECOND_AT, SECOND_AT + SECOND.length),
];

describe("Gemini's grounding → url_citation annotations", () => {
  test("a whole answer: each support's web sources over its segment, byte offsets made UTF-16", () => {
    const chat = geminiResponseToChat(
      {
        candidates: [
          {
            index: 0,
            content: { role: "model", parts: [{ text: TEXT }] },
            finishReason: "STOP",
            groundingMetadata: GROUNDING,
          },
        ],
      },
      "g",
      "c",
      1,
    );
    const message = (chat.choices as { message: JsonObject }[])[0]?.message;
    expect(message?.annotations).toEqual(ANNOTATIONS);
    for (const annotation of ANNOTATIONS) {
      const { start_index, end_index } = annotation.url_citation;
      expect([FIRST, SECOND]).toContain(TEXT.slice(start_index, end_index));
    }
  });

  test("an answer without grounding, or with grounding unreadable, has no annotations", () => {
    for (const groundingMetadata of [undefined, "junk", { groundingSupports: [{ segment: 3 }] }]) {
      const chat = geminiResponseToChat(
        {
          candidates: [
            { content: { role: "model", parts: [{ text: TEXT }] }, finishReason: "STOP", groundingMetadata },
          ],
        },
        "g",
        "c",
        1,
      );
      expect((chat.choices as { message: JsonObject }[])[0]?.message).not.toHaveProperty("annotations");
    }
  });

  test("odd grounding: an unreadable source or support costs that one alone, a reversed segment cites nothing, offsets inside a character or past the text end where it ends", () => {
    const url = GROUNDING.groundingChunks[0]?.web?.uri ?? "";
    const rocket = TEXT.indexOf("🚀");
    const grounding = {
      groundingChunks: [GROUNDING.groundingChunks[0], { web: { title: "no uri" } }, "junk"],
      groundingSupports: [
        // Inside 🚀's four bytes, to past the text's end.
        {
          segment: { startIndex: bytes(TEXT.slice(0, rocket)) + 1, endIndex: 10_000 },
          groundingChunkIndices: [0, 1, 2],
        },
        { groundingChunkIndices: [0] },
        { segment: { startIndex: bytes(FIRST), endIndex: 1 }, groundingChunkIndices: [0] },
        // Overlapping the first.
        {
          segment: { startIndex: 3, endIndex: bytes(TEXT.slice(0, rocket)) + 4 },
          groundingChunkIndices: [0],
        },
      ],
    };
    const chat = geminiResponseToChat(
      {
        candidates: [
          {
            content: { role: "model", parts: [{ text: TEXT }] },
            finishReason: "STOP",
            groundingMetadata: grounding,
          },
        ],
      },
      "g",
      "c",
      1,
    );
    expect((chat.choices as { message: JsonObject }[])[0]?.message.annotations).toEqual([
      citation(url, "cafe.fr", rocket + 2, TEXT.length),
      citation(url, "cafe.fr", 3, rocket + 2),
    ]);
  });

  /** TEXT streamed in two parts cut where Gemini cut them, its grounding on the finishing event. */
  async function streamedChoices(cites: boolean) {
    const cut = 9; // inside "café"'s word, after its é
    const events = [
      { candidates: [{ index: 0, content: { role: "model", parts: [{ text: TEXT.slice(0, cut) }] } }] },
      { candidates: [{ index: 0, content: { role: "model", parts: [{ text: TEXT.slice(cut) }] } }] },
      {
        candidates: [
          {
            index: 0,
            content: { role: "model", parts: [{ text: "" }] },
            finishReason: "STOP",
            groundingMetadata: GROUNDING,
          },
        ],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 20 },
      },
    ];
    const out = payloads(
      await collect(
        translateStream(
          replay(events.map((event) => ({ data: JSON.stringify(event) }))),
          geminiEventReader(),
          new GeminiChunkWriter("c", "g", false, undefined, undefined, 1, cites),
        ).events,
      ),
    ) as (
      | { choices: { index: number; delta: JsonObject; logprobs: null; finish_reason: string | null }[] }
      | "[DONE]"
    )[];
    return out.flatMap((chunk) => (typeof chunk === "string" ? [] : chunk.choices));
  }

  test("a stream: the annotations in a chunk of their own before the finish, over the whole content", async () => {
    const choices = await streamedChoices(true);
    expect(choices.map((choice) => choice.delta.content ?? "").join("")).toBe(TEXT);
    const annotated = choices.findIndex((choice) => choice.delta.annotations !== undefined);
    expect(choices[annotated]).toEqual({
      index: 0,
      delta: { annotations: ANNOTATIONS },
      logprobs: null,
      finish_reason: null,
    });
    expect(choices.at(-1)?.finish_reason).toBe("stop");
    expect(annotated).toBe(choices.length - 2);
  });

  test("a stream that did not ask for search keeps no text for citations, and cites nothing", async () => {
    const choices = await streamedChoices(false);
    expect(choices.map((choice) => choice.delta.content ?? "").join("")).toBe(TEXT);
    expect(choices.some((choice) => choice.delta.annotations !== undefined)).toBe(false);
    expect(choices.at(-1)?.finish_reason).toBe("stop");
  });
});
