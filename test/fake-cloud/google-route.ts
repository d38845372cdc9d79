import { answerFor } from "./cloud-script.ts";
import { type CloudCall, type CloudState, googleUnauthenticated, json } from "./cloud-state.ts";
import { CountRefusal, googleCount } from "./count-wire.ts";
import { EmbeddingRefusal, geminiBatchAnswer, vertexPredictAnswer } from "./embedding-wire.ts";
import { unmatchedReference } from "./gemini-function-responses.ts";
import { asksSearch, groundedEvents, groundedJson } from "./gemini-grounding.ts";
import {
  type GeminiContents,
  type GeminiStops,
  type GeminiThinking,
  generateContentEvents,
  generateContentJson,
  googleError,
  missingSignature,
  showsThoughts,
  stopSequencesRefusal,
  thinkingRefusal,
} from "./gemini-wire.ts";

interface GeminiLike extends GeminiContents {
  generationConfig?: GeminiThinking["generationConfig"] & GeminiStops["generationConfig"];
  tools?: Array<{ functionDeclarations?: Array<{ name?: string }> } & Record<string, unknown>>;
}

const invalidArgument = (message: string) => json(googleError(400, "INVALID_ARGUMENT", message), 400);

/**
 * Gemini API (an API key) and Vertex AI (a Google bearer): generateContent, its SSE stream,
 * countTokens, and the embeddings (batchEmbedContents on Gemini, predict on Vertex).
 */
export function googleRoute(cloud: CloudState, { req, url, path, body }: CloudCall) {
  const google =
    /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents|countTokens)$/.exec(
      path,
    ) ??
    /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent|predict|countTokens)$/.exec(
      path,
    );
  if (!google) return undefined;
  const vertex = path.startsWith("/v1/projects/");
  const authorised = vertex
    ? cloud.hasIssuedBearer(req)
    : req.headers.get("x-goog-api-key") === cloud.options.geminiKey;
  if (!authorised)
    return vertex
      ? googleUnauthenticated()
      : json(
          googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", {
            reason: "API_KEY_INVALID",
          }),
          400,
        );
  const failed = cloud.googleFailure(google[2] === "streamGenerateContent");
  if (failed) return failed;
  const model = decodeURIComponent(google[1] ?? "");
  if (google[2] === "countTokens") {
    try {
      return json(googleCount(model, vertex, JSON.parse(body)));
    } catch (error) {
      if (!(error instanceof CountRefusal)) throw error;
      return invalidArgument(error.message);
    }
  }
  if (google[2] === "batchEmbedContents" || google[2] === "predict") {
    try {
      const request = JSON.parse(body);
      return json(
        google[2] === "predict" ? vertexPredictAnswer(model, request) : geminiBatchAnswer(model, request),
      );
    } catch (error) {
      if (!(error instanceof EmbeddingRefusal)) throw error;
      return invalidArgument(error.message);
    }
  }
  const request = JSON.parse(body) as GeminiLike;
  const refusal =
    missingSignature(request) ||
    unmatchedReference(request) ||
    thinkingRefusal(model, request, vertex) ||
    stopSequencesRefusal(request);
  if (refusal) return invalidArgument(refusal);
  const lastUser = request.contents.findLast((c) => c.role === "user");
  const text = lastUser?.parts.map((part) => part.text ?? "").join("") ?? "";
  const tool = request.tools?.[0]?.functionDeclarations?.[0]?.name;
  const answer = answerFor(text, tool, vertex ? "vertex" : "gemini");
  if (google[2] === "streamGenerateContent") {
    if (url.searchParams.get("alt") !== "sse") return invalidArgument("this fake streams only with alt=sse");
    if (asksSearch(request)) return cloud.sse(groundedEvents(model));
    const events = generateContentEvents(answer, model, showsThoughts(request));
    // Google ends a stream that fails after it began with its error object as an event.
    const broken = cloud.failures[0]?.midStream ? cloud.failures.shift() : undefined;
    if (broken) {
      const error = googleError(broken.status, broken.type, broken.message, broken.google);
      events.splice(2, events.length - 2, `data: ${JSON.stringify(error)}\r\n\r\n`);
    }
    return cloud.sse(events);
  }
  if (asksSearch(request)) return json(groundedJson(model));
  return json(generateContentJson(answer, model, showsThoughts(request)));
}
