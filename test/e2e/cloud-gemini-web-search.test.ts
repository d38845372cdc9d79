import { beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { GROUNDED_SENTENCES, GROUNDED_TEXT } from "../fake-cloud/gemini-grounding.ts";
import { cloudGateway } from "./harness/cloud-gateway.ts";

// A chat caller's web search on Gemini routes (the Gemini API, Vertex AI) through the compiled
// binary, the official openai SDK calling: Google Search grounding asked, its citations back as
// `url_citation` annotations whose indexes cut the cited sentence out of the content, whole and
// streamed, and what Google Search has no setting for named.

const clouds = cloudGateway();
let openai: OpenAI;
beforeAll(() => {
  ({ openai } = clouds);
});

const ASK = {
  messages: [{ role: "user" as const, content: "weather in Paris and Tokyo?" }],
  web_search_options: {
    search_context_size: "high" as const,
    user_location: { type: "approximate" as const, approximate: { city: "Paris", country: "FR" } },
  },
};

interface Citation {
  type: string;
  url_citation: { url: string; title: string; start_index: number; end_index: number };
}

/** Each annotation's cited text, by its indexes into the content, and its source's title. */
const cited = (content: string, annotations: readonly Citation[]) =>
  annotations.map(({ url_citation: c }) => [content.slice(c.start_index, c.end_index), c.title]);

/** The sentences and sources the fake grounded its answer on (gemini-grounding.ts). */
const EXPECTED = [
  [GROUNDED_SENTENCES[0].text, "meteo.fr"],
  [GROUNDED_SENTENCES[1].text, "jma.go.jp"],
  [GROUNDED_SENTENCES[1].text, "meteo.fr"],
];

describe.each(["gemini-flash", "vertex-flash"] as const)("%s: web_search_options", (model) => {
  test("whole: the googleSearch tool sent, the grounding as annotations, the settings named", async () => {
    const { data, response } = await openai.chat.completions.create({ model, ...ASK }).withResponse();
    const sent = JSON.parse(clouds.lastModelCall()?.body ?? "{}") as { tools?: unknown };
    expect(sent.tools).toEqual([{ googleSearch: {} }]);
    expect(response.headers.get("x-mindgw-dropped")).toBe(
      "web_search_options.search_context_size, web_search_options.user_location",
    );
    const message = data.choices[0]?.message;
    expect(message?.content).toBe(GROUNDED_TEXT);
    expect(cited(GROUNDED_TEXT, (message?.annotations ?? []) as Citation[])).toEqual(EXPECTED);
    expect(message?.annotations?.[0]?.url_citation.url).toStartWith(
      "https://vertexaisearch.cloud.google.com/grounding-api-redirect/",
    );
  });

  test("streamed: the text, then the annotations in a delta of their own before the finish", async () => {
    const stream = await openai.chat.completions.create({ model, ...ASK, stream: true });
    const deltas: Record<string, unknown>[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      deltas.push({ ...chunk.choices[0]?.delta });
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    const content = deltas.map((delta) => delta.content ?? "").join("");
    expect(content).toBe(GROUNDED_TEXT);
    const annotated = deltas.filter((delta) => delta.annotations !== undefined);
    expect(annotated).toHaveLength(1);
    expect(cited(content, (annotated[0]?.annotations ?? []) as Citation[])).toEqual(EXPECTED);
    expect(deltas.findIndex((delta) => delta.annotations !== undefined)).toBe(deltas.length - 2);
    expect(finish).toBe("stop");
  });
});
