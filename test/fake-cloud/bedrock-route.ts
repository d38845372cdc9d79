import { prepareMessages } from "../fake-upstream/anthropic-messages.ts";
import { isRefusal } from "../fake-upstream/fake-call.ts";
import {
  blankText,
  converseFrames,
  converseJson,
  emptyStopSequence,
  eventFrame,
  exceptionFrame,
  invalidDocuments,
  systemRefused,
  tooLongToolUseId,
  undeclaredTools,
} from "./bedrock-wire.ts";
import { bedrockBetaRefusal } from "./claude-betas.ts";
import { endAfter } from "./claude-end-after.ts";
import { type CloudCall, type CloudState, json, retryHeader } from "./cloud-state.ts";
import { bedrockAnswer, type ConverseLike } from "./converse-answer.ts";
import { bedrockCount, CountRefusal } from "./count-wire.ts";
import { cohereAnswer, EmbeddingRefusal, titanAnswer } from "./embedding-wire.ts";
import type { CloudFailure } from "./fake-cloud-api.ts";

const EVENT_STREAM = { "content-type": "application/vnd.amazon.eventstream" };

/**
 * Bedrock's runtime: Converse and ConverseStream (binary event-stream frames), InvokeModel and
 * its stream (Claude, Titan and Cohere embeddings) and CountTokens, each behind a SigV4
 * signature or an API key (bedrock-auth.ts).
 */
export function bedrockRoute(cloud: CloudState, { req, path, body }: CloudCall) {
  const bedrock =
    /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/.exec(
      path,
    );
  if (!bedrock) return undefined;
  const problem = cloud.bedrockAuth.problem(req, body);
  if (problem) return problem;
  const failure = cloud.failures.shift();
  if (failure && !failure.midStream && !failure.stall && !failure.endAfter && !failure.stopReason)
    return json({ message: failure.message }, failure.status, {
      "x-amzn-errortype": failure.type,
      ...retryHeader(failure),
    });
  const model = decodeURIComponent(bedrock[1] ?? "");
  if (bedrock[2] === "invoke") return invokeModel(cloud, model, body);
  if (bedrock[2] === "invoke-with-response-stream") return bedrockClaude(cloud, model, true, body, failure);
  if (bedrock[2] === "count-tokens") {
    try {
      return json(bedrockCount(model, JSON.parse(body)));
    } catch (error) {
      if (!(error instanceof CountRefusal)) throw error;
      return validationException(error.message);
    }
  }
  const request = JSON.parse(body) as ConverseLike;
  const tooLong =
    tooLongToolUseId(request) ??
    invalidDocuments(request) ??
    blankText(request) ??
    emptyStopSequence(request) ??
    systemRefused(model, request) ??
    undeclaredTools(request);
  if (tooLong) return validationException(tooLong);
  const lastUser = request.messages.findLast((m) => m.role === "user");
  const text = lastUser?.content.map((block) => block.text ?? "").join("") ?? "";
  const answer = bedrockAnswer(text, request.toolConfig?.tools?.[0]?.toolSpec?.name);
  if (bedrock[2] === "converse") return json(converseJson(answer, failure?.stopReason));
  const frames = converseFrames(answer, failure?.stopReason);
  if (failure?.midStream) frames.splice(2, frames.length - 2, exceptionFrame(failure.type, failure.message));
  if (failure?.stall !== true) return new Response(cloud.streamBody(frames), { headers: EVENT_STREAM });
  req.signal.addEventListener("abort", () => cloud.aborted++, { once: true });
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const frame of frames.slice(0, 2)) controller.enqueue(frame);
    },
  });
  return new Response(stalled, { headers: EVENT_STREAM });
}

/** Bedrock's 400 for a request it will not take, in its own words. */
const validationException = (message: string) =>
  json({ message }, 400, {
    "x-amzn-errortype": "ValidationException:http://internal.amazon.com/coral/com.amazonaws.bedrock/",
  });

/**
 * Claude on Bedrock through InvokeModel: Anthropic's body with `anthropic_version:
 * bedrock-2023-05-31`, no `model` (in the URL) and no `stream` (in the action); a stream's
 * events each base64 in a `chunk` frame's `bytes`. Refusals are Bedrock's ValidationException,
 * a beta off Bedrock's list among them ("invalid beta flag": claude-betas.ts).
 */
function bedrockClaude(
  cloud: CloudState,
  model: string,
  stream: boolean,
  text: string,
  failure?: CloudFailure,
): Response {
  const request = JSON.parse(text) as Record<string, unknown>;
  if (request.anthropic_version !== "bedrock-2023-05-31")
    return validationException("Malformed input request: #/anthropic_version: expected bedrock-2023-05-31");
  for (const key of ["model", "stream"])
    if (key in request)
      return validationException(`Malformed input request: extraneous key [${key}] is not permitted`);
  const betas = bedrockBetaRefusal(request.anthropic_beta);
  if (betas) return validationException(betas);
  const { anthropic_version: _version, anthropic_beta: _betas, ...rest } = request;
  const prepared = prepareMessages({ ...rest, model, ...(stream ? { stream: true } : {}) });
  if (isRefusal(prepared)) return validationException(prepared.message);
  const answer = prepared.render({});
  if ("json" in answer) return json(answer.json);
  const frames = endAfter(answer.frames, failure).map((frame) => {
    const data = /^data: (.*)$/m.exec(frame)?.[1] ?? "{}";
    return eventFrame("chunk", { bytes: Buffer.from(data).toString("base64") });
  });
  if (failure?.midStream) frames.splice(2, frames.length - 2, exceptionFrame(failure.type, failure.message));
  return new Response(cloud.streamBody(frames), { headers: EVENT_STREAM });
}

/** Bedrock's InvokeModel for the embedding families the gateway speaks (Titan, Cohere). */
function invokeModel(cloud: CloudState, model: string, body: string): Response {
  if (/anthropic\.claude/.test(model)) return bedrockClaude(cloud, model, false, body);
  try {
    const request = JSON.parse(body);
    if (/amazon\.titan-embed-text/.test(model)) return json(titanAnswer(request, model));
    if (model.includes("cohere.embed")) {
      const { body: answer, tokens } = cohereAnswer(request, model);
      return json(answer, 200, { "X-Amzn-Bedrock-Input-Token-Count": String(tokens) });
    }
    return validationException(
      `The provided model identifier is invalid for InvokeModel in this fake: ${model}`,
    );
  } catch (error) {
    if (!(error instanceof EmbeddingRefusal)) throw error;
    return validationException(error.message);
  }
}
