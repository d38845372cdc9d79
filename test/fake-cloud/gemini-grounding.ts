/**
 * Gemini's Google Search grounding as the Gemini API and Vertex AI answer it: asked by a
 * `googleSearch` tool (or `google_search`, which Google's JSON parser takes too), the answer's text
 * with `groundingMetadata` beside it on its candidate — the queries, the search entry point, the
 * web sources (Google's redirect URL, the site's name as title) and each sentence's supports, its
 * segment counted in UTF-8 bytes of the text, a first segment's 0 left out as proto3 JSON leaves
 * out zeros. Streamed, the text comes in parts and the grounding whole on the finishing event.
 */

/** The tools of a request, as far as the search rule reads them. */
export interface GeminiSearchTools {
  tools?: Array<Record<string, unknown>>;
}

export const asksSearch = (request: GeminiSearchTools): boolean =>
  (request.tools ?? []).some((tool) => "googleSearch" in tool || "google_search" in tool);

/** The grounded answer's sentences and their sources: characters of 2, 3 and 4 UTF-8 bytes. */
export const GROUNDED_SENTENCES = [
  { text: "Paris: 18 °C, ensoleillé ☀️.", sources: [0] },
  { text: " Tokyo: 東京は晴れ 🌤️.", sources: [1, 0] },
] as const;

const SOURCES = [
  { uri: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AUZIYQ-paris", title: "meteo.fr" },
  { uri: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AUZIYQ-tokyo", title: "jma.go.jp" },
];

export const GROUNDED_TEXT = GROUNDED_SENTENCES.map((sentence) => sentence.text).join("");

function groundingMetadata(): object {
  let at = 0;
  const groundingSupports = GROUNDED_SENTENCES.map(({ text, sources }) => {
    const start = at;
    at += Buffer.byteLength(text, "utf8");
    return {
      segment: { ...(start > 0 ? { startIndex: start } : {}), endIndex: at, text },
      groundingChunkIndices: sources,
      confidenceScores: sources.map(() => 0.9),
    };
  });
  return {
    webSearchQueries: ["weather Paris today", "weather Tokyo today"],
    searchEntryPoint: { renderedContent: '<style>.container{}</style><div class="container">…</div>' },
    groundingChunks: SOURCES.map((web) => ({ web })),
    groundingSupports,
  };
}

const USAGE = {
  promptTokenCount: 8,
  candidatesTokenCount: 20,
  toolUsePromptTokenCount: 120,
  totalTokenCount: 148,
};

/** The grounded `generateContent` answer. */
export const groundedJson = (model: string): object => ({
  candidates: [
    {
      content: { role: "model", parts: [{ text: GROUNDED_TEXT }] },
      finishReason: "STOP",
      groundingMetadata: groundingMetadata(),
      index: 0,
    },
  ],
  usageMetadata: USAGE,
  modelVersion: model,
  responseId: "fake-grounded-1",
});

/** The grounded `streamGenerateContent?alt=sse` events: the text in parts cut between characters. */
export function groundedEvents(model: string): string[] {
  const characters = Array.from(GROUNDED_TEXT);
  const third = Math.ceil(characters.length / 3);
  const parts = [0, 1, 2].map((i) => characters.slice(i * third, (i + 1) * third).join(""));
  const events: object[] = parts.map((text) => ({
    candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0 }],
    modelVersion: model,
  }));
  events.push({
    candidates: [
      {
        content: { role: "model", parts: [{ text: "" }] },
        finishReason: "STOP",
        groundingMetadata: groundingMetadata(),
        index: 0,
      },
    ],
    usageMetadata: USAGE,
    modelVersion: model,
  });
  return events.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`);
}
