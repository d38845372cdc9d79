import { type ChatLike, lastUserText } from "./azure-wire.ts";
import { answerFor } from "./cloud-script.ts";
import { type CloudCall, type CloudState, json, retryHeader } from "./cloud-state.ts";
import { chatEvents, chatJson, tooLongCallId, unknownToVersion } from "./openai-wire.ts";

/**
 * Azure OpenAI's chat completions: by deployment (with `api-version`) or on the v1 path, with
 * the resource's api-key or an Entra bearer this fake issued.
 */
export function azureRoute(cloud: CloudState, { req, url, path, body }: CloudCall) {
  const azure = /^\/openai\/(?:deployments\/([^/]+)|v1)\/chat\/completions$/.exec(path);
  if (!azure) return undefined;
  if (req.headers.get("api-key") !== cloud.options.azureKey && !cloud.hasIssuedBearer(req))
    return json({ error: { code: "401", message: "Access denied due to invalid subscription key." } }, 401);
  if (azure[1] && !url.searchParams.get("api-version"))
    return json({ error: { code: "404", message: "Resource not found" } }, 404);
  if (!knownVersion(url.searchParams.getAll("api-version"), azure[1] !== undefined))
    return json({ error: { code: "BadRequest", message: "API version not supported" } }, 400);
  const failure = cloud.failures.shift();
  if (failure)
    return json({ error: { code: failure.type, message: failure.message } }, failure.status, {
      ...retryHeader(failure),
      ...(failure.msRetryAfterMs ? { "x-ms-retry-after-ms": failure.msRetryAfterMs } : {}),
    });
  const request = JSON.parse(body) as ChatLike;
  const tooLong = tooLongCallId(request) ?? unknownToVersion(url.searchParams.get("api-version"), request);
  if (tooLong) return json(tooLong, 400);
  const answer = answerFor(lastUserText(request), request.tools?.[0]?.function?.name, "azure");
  const model = azure[1] ? decodeURIComponent(azure[1]) : String(request.model);
  if (request.stream)
    return cloud.sse(chatEvents(answer, model, request.stream_options?.include_usage === true));
  return json(chatJson(answer, model));
}

/**
 * One api-version on a deployment's path; on the v1 path none, or its `preview`. Anything else (a
 * version repeated, a dated one on the versionless API) is refused as Azure refuses a version it
 * does not serve.
 */
function knownVersion(versions: readonly string[], deployment: boolean): boolean {
  if (versions.length > 1) return false;
  return deployment || versions.every((version) => version === "preview");
}
