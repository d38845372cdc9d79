import { prepareCountTokens, prepareMessages } from "../fake-upstream/anthropic-messages.ts";
import { isRefusal } from "../fake-upstream/fake-call.ts";
import { vertexBetaRefusal } from "./claude-betas.ts";
import { endAfter } from "./claude-end-after.ts";
import { type CloudCall, type CloudState, googleUnauthenticated, json } from "./cloud-state.ts";
import type { CloudFailure } from "./fake-cloud-api.ts";

/** Claude on Vertex AI (publishers/anthropic): the Messages API through rawPredict. */
export function vertexClaudeRoute(cloud: CloudState, { req, path, body, headers }: CloudCall) {
  const claude =
    /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/.exec(
      path,
    );
  if (!claude) return undefined;
  if (!cloud.hasIssuedBearer(req)) return googleUnauthenticated();
  const failed = cloud.googleFailure();
  if (failed) return failed;
  const betas = vertexBetaRefusal(headers["anthropic-beta"]);
  if (betas) return refuse(betas);
  const cut = cloud.failures[0]?.endAfter ? cloud.failures.shift() : undefined;
  return vertexClaude(decodeURIComponent(claude[1] ?? ""), claude[2] === "streamRawPredict", body, cut);
}

const refuse = (message: string) =>
  json({ type: "error", error: { type: "invalid_request_error", message } }, 400);

/**
 * Claude's Messages API as Vertex AI serves it: the model in the URL (`count-tokens` for
 * counting, the model then in the body), `anthropic_version: vertex-2023-10-16` in the body,
 * Anthropic's own answers, events and errors (a beta off Vertex's list refused before it:
 * claude-betas.ts).
 */
function vertexClaude(model: string, stream: boolean, text: string, cut?: CloudFailure): Response {
  const request = JSON.parse(text) as Record<string, unknown>;
  if (request.anthropic_version !== "vertex-2023-10-16")
    return refuse("anthropic_version: Input should be 'vertex-2023-10-16'");
  const { anthropic_version: _version, ...rest } = request;
  const counting = model === "count-tokens";
  if (counting !== "model" in rest)
    return refuse(counting ? "model: Field required" : "model: Extra inputs are not permitted");
  const prepared = counting ? prepareCountTokens(rest) : prepareMessages({ ...rest, model });
  if (isRefusal(prepared)) return refuse(prepared.message);
  if (prepared.stream !== stream)
    return refuse("stream: streamRawPredict takes stream: true, rawPredict none");
  const answer = prepared.render({});
  if ("json" in answer) return json(answer.json);
  return new Response(endAfter(answer.frames, cut).join(""), {
    headers: { "content-type": "text/event-stream" },
  });
}
