import { beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { GROUNDED_SENTENCES, GROUNDED_TEXT } from "../fake-cloud/gemini-grounding.ts";
import { cloudGateway } from "./harness/cloud-gateway.ts";

// A Responses caller's web_search tool on Gemini routes (the Gemini API, Vertex AI) through the
// compiled binary, the official openai SDK calling responses.create and responses.stream: Google
// Search grounding asked, its citations back as the output_text part's url_citation annotations
// whose indexes cut the cited sentence out of the text, whole and streamed, and what Google Search
// has no setting for named in the Responses caller's terms.

const clouds = cloudGateway();
let openai: OpenAI;
beforeAll(() => {
  ({ openai } = clouds);
});

const ASK = {
  input: "weather in Paris and Tokyo?",
  tools: [
    {
      type: "web_search" as const,
      search_context_size: "high" as const,
      user_location: { type: "approximate" as const, city: "Paris", country: "FR" },
    },
  ],
};

interface Annotation {
  type: string;
  url?: string;
  title?: string;
  start_index?: number;
  end_index?: number;
}

/** Each annotation's cited text, by its indexes into the text, and its source's title. */
const cited = (text: string, annotations: readonly Annotation[]) =>
  annotations.map((a) => [text.slice(a.start_index, a.end_index), a.title]);

/** The sentences and sources the fake grounded its answer on (gemini-grounding.ts). */
const EXPECTED = [
  [GROUNDED_SENTENCES[0].text, "meteo.fr"],
  [GROUNDED_SENTENCES[1].text, "jma.go.jp"],
  [GROUNDED_SENTENCES[1].text, "meteo.fr"],
];

/** The first output_text part of a response. */
function textPart(response: OpenAI.Responses.Response) {
  for (const item of response.output)
    if (item.type === "message")
      for (const part of item.content) if (part.type === "output_text") return part;
  return undefined;
}

describe.each(["gemini-flash", "vertex-flash"] as const)("%s: a Responses web_search tool", (model) => {
  test("whole: the googleSearch tool sent, the grounding as flat annotations, the settings named", async () => {
    const { data, response } = await openai.responses.create({ model, ...ASK }).withResponse();
    const sent = JSON.parse(clouds.lastModelCall()?.body ?? "{}") as { tools?: unknown };
    expect(sent.tools).toEqual([{ googleSearch: {} }]);
    expect(response.headers.get("x-mindgw-dropped")).toBe(
      "tools.web_search.search_context_size, tools.web_search.user_location",
    );
    const part = textPart(data);
    expect(part?.text).toBe(GROUNDED_TEXT);
    expect(cited(GROUNDED_TEXT, (part?.annotations ?? []) as Annotation[])).toEqual(EXPECTED);
    expect(part?.annotations[0]?.type).toBe("url_citation");
  });

  test("streamed: annotation.added each after the text and before its done, then on the response", async () => {
    const stream = openai.responses.stream({ model, ...ASK });
    const types: string[] = [];
    const added: { annotation_index: number; annotation: Annotation }[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.annotation.added")
        added.push({ annotation_index: event.annotation_index, annotation: event.annotation as Annotation });
    }
    const final = await stream.finalResponse();
    const part = textPart(final);
    expect(part?.text).toBe(GROUNDED_TEXT);
    expect(added.map((event) => event.annotation_index)).toEqual([0, 1, 2]);
    expect(
      cited(
        GROUNDED_TEXT,
        added.map((event) => event.annotation),
      ),
    ).toEqual(EXPECTED);
    expect(types.lastIndexOf("response.output_text.delta")).toBeLessThan(
      types.indexOf("response.output_text.annotation.added"),
    );
    expect(types.lastIndexOf("response.output_text.annotation.added")).toBeLessThan(
      types.indexOf("response.output_text.done"),
    );
    expect(cited(GROUNDED_TEXT, (part?.annotations ?? []) as Annotation[])).toEqual(EXPECTED);
  });
});
