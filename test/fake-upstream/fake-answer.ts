import type { Behaviour } from "./fake-behaviour.ts";
import { behaviourFromText } from "./fake-behaviour.ts";
import { type FakeRefusal, isRefusal } from "./fake-call.ts";
import type { RecordedRequest } from "./fake-request.ts";
import type { FakeRoute } from "./fake-routes.ts";
import { fakeId } from "./fake-script.ts";
import { pause, replyStream } from "./reply-stream.ts";

/** The real APIs' answers to a prompt longer than the context window. */
const CONTEXT_LENGTH = {
  openai: {
    error: {
      message:
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.",
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    },
  },
  anthropic: {
    type: "error",
    error: { type: "invalid_request_error", message: "prompt is too long: 200000 tokens > 128000 maximum" },
  },
} as const;

/** The real APIs' refusals of an effort level, from a model that has none. */
const NO_EFFORT = {
  openai: {
    error: {
      message: "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
      type: "invalid_request_error",
      param: "reasoning_effort",
      code: "unsupported_parameter",
    },
  },
  anthropic: {
    type: "error",
    error: { type: "invalid_request_error", message: "This model does not support the effort parameter." },
  },
} as const;

/** The headers an error status comes with that say when, or whether, to try again. */
function retryHeaders(retryAfter: number | undefined, b: Behaviour): Record<string, string> {
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  if (b.retryAfterMs !== undefined) headers["retry-after-ms"] = String(b.retryAfterMs);
  if (b.shouldRetry !== undefined) headers["x-should-retry"] = b.shouldRetry;
  return headers;
}

/** The auth the fake demands, like the real APIs, when configured to. */
export interface AuthRules {
  apiKey?: string;
  requireAnthropicVersion?: boolean;
}

function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Why the real API would refuse this caller, if it would. */
export function authRefusal(
  route: Pick<FakeRoute, "dialect">,
  rec: RecordedRequest,
  rules: AuthRules,
): FakeRefusal | undefined {
  if (route.dialect === "anthropic") {
    if (rules.requireAnthropicVersion && !rec.headers["anthropic-version"]) {
      return { status: 400, message: "anthropic-version: header is required" };
    }
    if (rules.apiKey === undefined) return undefined;
    // @anthropic-ai/sdk 1.x sends the key as a Bearer token; older clients use x-api-key.
    const key = rec.headers["x-api-key"] ?? rec.headers.authorization?.replace(/^Bearer /, "");
    if (key === undefined) return { status: 401, message: "x-api-key header is required" };
    return key === rules.apiKey ? undefined : { status: 401, message: "invalid x-api-key" };
  }
  if (rules.apiKey === undefined) return undefined;
  const auth = rec.headers.authorization;
  if (auth === undefined) return { status: 401, message: "You didn't provide an API key." };
  return auth === `Bearer ${rules.apiKey}`
    ? undefined
    : { status: 401, message: "Incorrect API key provided." };
}

/**
 * Answers one API call: knobs from the queue and headers are already in `base`; markers in
 * the prompt add to them. Order: delay, hang, knob status, auth, validation, reply.
 */
export async function answer(
  route: FakeRoute,
  rec: RecordedRequest,
  base: Behaviour,
  rules: AuthRules,
  signal: AbortSignal,
): Promise<Response> {
  const prepared =
    rec.body === undefined || typeof rec.body === "string" ? undefined : route.prepare(rec.body);
  const markers = prepared && !isRefusal(prepared) ? behaviourFromText(prepared.markerText) : {};
  const b: Behaviour = { ...base, ...markers };
  rec.behaviour = b;
  const requestId = { [route.errors.requestIdHeader]: fakeId("req_") };
  const fail = (r: FakeRefusal, extra: Record<string, string> = {}) => {
    rec.settle("completed");
    return json(r.status, route.errors.body(r.status, r.message, r.param, r.code), {
      ...requestId,
      ...extra,
    });
  };

  await pause(b.delay ?? 0, signal);
  if (b.hang) await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  if (signal.aborted) {
    rec.settle("aborted");
    return new Response(null, { status: 499 });
  }
  if (b.status !== undefined && b.status >= 400) {
    const retry = b.retryAfter ?? (b.status === 429 || b.status === 503 ? 1 : undefined);
    const message = b.message ?? `fake upstream: status ${b.status} on request`;
    return fail({ status: b.status, message }, retryHeaders(retry, b));
  }
  if (b.contextLength) {
    rec.settle("completed");
    return json(400, CONTEXT_LENGTH[route.dialect], requestId);
  }
  const auth = authRefusal(route, rec, rules);
  if (auth) return fail(auth);
  if (prepared === undefined)
    return fail({ status: 400, message: "We could not parse the JSON body of your request." });
  if (isRefusal(prepared)) return fail(prepared);
  if (b.noEffort && prepared.effort) {
    rec.settle("completed");
    return json(400, NO_EFFORT[route.dialect], requestId);
  }

  if (b.errorBody) {
    rec.settle("completed");
    return json(200, route.errors.body(500, "fake upstream: an error in a 200 answer"), requestId);
  }
  const out = prepared.render(b);
  const plain = "json" in out && b.ttfb === undefined && b.cutAfter === undefined;
  if (plain) {
    rec.settle("completed");
    return json(200, out.json, requestId);
  }
  const sse = "frames" in out;
  const plan = {
    chunks: sse ? out.frames : [JSON.stringify(out.json)],
    sse,
    errorFrame: route.errors.streamFrame("fake upstream: overloaded mid-stream"),
  };
  const contentType = sse ? "text/event-stream; charset=utf-8" : "application/json";
  return new Response(replyStream(plan, b, rec, signal), {
    headers: { "content-type": contentType, "cache-control": "no-cache", ...requestId },
  });
}
