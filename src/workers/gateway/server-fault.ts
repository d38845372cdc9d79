import type { GatewayError } from "../../core/gateway-error.ts";
import { noPathWords } from "../../core/route-refused.ts";
import { readErrorText } from "../../providers/http/read-bounded.ts";
import { wholeFailure } from "../../providers/http/read-reply.ts";
import type { StreamedAnswer } from "../../providers/http/streamed-answer.ts";
import { upstreamFailure } from "../../providers/http/upstream-failure.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";
import { upstreamName } from "../../providers/upstream-name.ts";
import { WorkerUpstreamFault } from "./tunnel-failures.ts";

/**
 * Whether a worker's model server failed on its own by answering `status`: refusing the worker's
 * `--upstream-key` (401, 403) or failing (5xx). Every caller would meet it on that worker, none on
 * another: the worker's fault, as a model server it cannot reach is. A 429 is the server up and
 * busy, and any other 4xx is about the request (the caller's, relayed as sent).
 */
export const isServerFault = (status: number): boolean => status === 401 || status === 403 || status >= 500;

/**
 * What a call fails with when the worker's model server answered with its own fault
 * (`isServerFault`): a `WorkerUpstreamFault`, which the router tries on another worker at once and
 * leaves out of the route's breaker, as the tunnel's registry leaves the worker out of rotation
 * (worker-tunnel.ts). A refused key is said as the worker's: the gateway has no credentials there.
 * A 5xx keeps the server's own error, as any upstream's (a same-dialect caller gets its body once
 * no route is left). `provider`: the worker as its provider is named (`worker:w1`, `worker:w1@node-2`).
 */
export async function serverFault(
  provider: string,
  answer: Response | WholeAnswer | StreamedAnswer,
): Promise<never> {
  const status = answer.status;
  if (status === 401 || status === 403)
    throw new WorkerUpstreamFault({
      status: 502,
      code: "upstream_error",
      message: `${upstreamName(provider)}'s model server refused its --upstream-key (${status})`,
      retryable: true,
      // Every call on that worker would be refused alike: with no other worker, the next route.
      sameRouteAgain: false,
    });
  throw asOwnFault(await serverError(provider, answer));
}

/** The server's error as any upstream's is read (its body and Retry-After; OpenAI's dialect). */
async function serverError(
  provider: string,
  answer: Response | WholeAnswer | StreamedAnswer,
): Promise<GatewayError> {
  if (answer instanceof Response) {
    const text = await readErrorText(answer, provider);
    return upstreamFailure(provider, { status: answer.status, headers: answer.headers, text }, "openai");
  }
  if ("contentType" in answer) return wholeFailure(provider, answer, "openai");
  // A byte feed is made for a 2xx event stream only, never with a fault's status: read as bodiless.
  return upstreamFailure(provider, { status: answer.status, headers: new Headers(), text: "" }, "openai");
}

/** The same failure, as the worker's own. */
const asOwnFault = (failure: GatewayError) =>
  new WorkerUpstreamFault({
    status: failure.status,
    code: failure.code,
    message: failure.message,
    retryable: true,
    sameRouteAgain: failure.sameRouteAgain,
    headers: failure.headers,
    upstream: failure.upstream,
    ...(failure.param === undefined ? {} : { param: failure.param }),
  });

/**
 * What a call fails with when the worker's model server answered 404 saying it does not serve the
 * model the worker offered (vLLM's "The model `x` does not exist.", Ollama's `model "x" not found`)
 * or no API answered the call's path, read as a direct route's 404 is (core/upstream-fault.ts,
 * `route` and `path`): a `--models` naming what the server lacks, or a server restarted with another
 * model while the worker stayed connected. Every caller would meet it on that worker, none on
 * another: the worker's fault, as a refused key is (`serverFault`); a path it lacks, only for that
 * operation's callers (`path`: `countsAgainstRoute: false`). Undefined for any other answer, a 404 about the
 * request included (an item or stored response not found), which is relayed as before. A
 * `Response`'s body is read from a copy, so that such an answer is still relayed whole.
 */
export async function modelNotServed(
  provider: string,
  answer: Response | WholeAnswer | StreamedAnswer,
): Promise<WorkerUpstreamFault | undefined> {
  if (answer.status !== 404) return undefined;
  const failure = await serverError(provider, answer instanceof Response ? answer.clone() : answer);
  // A 404 read as the route's is a 502 in the gateway's words; one about the request keeps its 404.
  if (failure.status === 404) return undefined;
  // No API answered the call's path (FastAPI's `{"detail":"Not Found"}`, a bodyless 404): the
  // server lacks this operation — a chat-only vLLM registers no /v1/embeddings — and serves the
  // model's other calls, so it is neither the worker's fault (`judgesWorker`) nor the route's: its
  // chat callers must not meet an open breaker or an ejected worker for a cooldown. The rule a
  // direct route's 404 follows, read off the failure (core/upstream-fault.ts `path`). Or the
  // worker's `--upstream` is wrong (no /v1, or a doubled one, with `--models` skipping discovery):
  // the words name that too, as a route's name its `base_url`, the only place it is ever said.
  const lacksOperation = failure.noSuchPath;
  return new WorkerUpstreamFault({
    status: 502,
    code: "upstream_error",
    message: lacksOperation
      ? noPathWords(`${upstreamName(provider)}'s model server`, "answered 404:", "--upstream")
      : `${upstreamName(provider)}'s model server does not serve the model it offered (404)`,
    retryable: true,
    // Every call on that worker would be refused alike: with no other worker, the next route.
    sameRouteAgain: false,
    ...(lacksOperation ? { countsAgainstRoute: false, noSuchPath: true } : {}),
    upstream: failure.upstream,
    ...(failure.detail === undefined ? {} : { detail: failure.detail }),
  });
}

/**
 * Whether a model call's 404, as `modelNotServed` read it, is a verdict on the worker for its
 * ejection: an answer (`fault` undefined) or the model it offered not served there; not an
 * operation its server lacks, which says nothing of its other calls.
 */
export const judgesWorker = (fault: WorkerUpstreamFault | undefined): boolean =>
  fault === undefined || fault.countsAgainstRoute;
