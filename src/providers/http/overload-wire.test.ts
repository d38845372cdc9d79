import { describe, expect, test } from "bun:test";
import { errorBody, responsesFailure } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { readGoogleError } from "../../core/google-errors.ts";
import { errorResponse } from "../../http/error-body.ts";
import { googleInBandError, inBandError } from "../../translate/stream/in-band-error.ts";
import { bedrockFailure } from "../bedrock/bedrock-errors.ts";
import { googleFailure, upstreamFailure } from "./upstream-failure.ts";

// An upstream that says it is overloaded, whichever vendor, reaches each caller as its own API
// says an overload: OpenAI's 503 `server_is_overloaded` (`service_unavailable_error`), which Codex
// reads as `ServerOverloaded` ("Selected model is at capacity", over HTTP and in a Responses
// stream's `response.failed`), and Anthropic's 529 `overloaded_error`, which Claude Code counts as
// its overloaded retries. A caller of the upstream's own dialect gets its status and body as sent.

const answer = (status: number, body: unknown) => ({
  status,
  headers: new Headers({ "retry-after": "2" }),
  text: JSON.stringify(body),
});
const ANTHROPIC_529 = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
/** OpenAI's own overload, as its API answers it. */
const OPENAI_503 = {
  error: {
    message: "Our servers are currently overloaded. Please try again later.",
    type: "service_unavailable_error",
    param: null,
    code: "server_is_overloaded",
  },
};
const google = (status: string, message: string) =>
  readGoogleError({ error: { code: 503, message, status } }) ?? {
    status,
    code: 503,
    message,
    reason: undefined,
    retryAfter: undefined,
    quotaIds: [],
  };

/** Status and body each caller is answered with. */
async function told(error: GatewayError) {
  const openai = errorResponse(error, "openai", {});
  const anthropic = errorResponse(error, "anthropic", {});
  return {
    openai: [openai.status, ((await openai.json()) as { error: object }).error],
    anthropic: [anthropic.status, ((await anthropic.json()) as { error: object }).error],
  };
}

const OPENAI_OVERLOAD = { type: "service_unavailable_error", code: "server_is_overloaded" };

describe("an overload reads as each caller's own API says one", () => {
  test("Anthropic's 529 overloaded_error: OpenAI's 503 server_is_overloaded to an OpenAI caller; Anthropic's 529 as sent to its own", async () => {
    const failure = upstreamFailure("claude", answer(529, ANTHROPIC_529));
    // Judged as before: a retryable server fault, failed over, counted by the breaker.
    expect([failure.code, failure.retryable, failure.sameRouteAgain]).toEqual(["upstream_error", true, true]);
    const { openai, anthropic } = await told(failure);
    // In the gateway's words, the upstream's after them, as for any server fault across dialects.
    const words = "upstream claude answered 529: Overloaded";
    expect(openai).toEqual([503, { ...OPENAI_OVERLOAD, message: words, param: null }]);
    expect(anthropic).toEqual([529, ANTHROPIC_529.error]);
  });

  test("OpenAI's 503 server_is_overloaded (and slow_down): 529 overloaded_error to an Anthropic caller; as sent to an OpenAI caller", async () => {
    const failure = upstreamFailure("oa", answer(503, OPENAI_503));
    const { openai, anthropic } = await told(failure);
    expect(openai).toEqual([503, OPENAI_503.error]);
    const words = `upstream oa answered 503: ${OPENAI_503.error.message}`;
    expect(anthropic).toEqual([529, { type: "overloaded_error", message: words }]);
    const slowDown = upstreamFailure(
      "oa",
      answer(503, { error: { ...OPENAI_503.error, code: "slow_down", message: "Slow down" } }),
    );
    expect((await told(slowDown)).anthropic).toEqual([
      529,
      { type: "overloaded_error", message: "upstream oa answered 503: Slow down" },
    ]);
  });

  test("Gemini's and Vertex AI's 503 UNAVAILABLE: an overload in either caller's dialect, Google's words after the gateway's account", async () => {
    const failure = googleFailure(
      "gm",
      google("UNAVAILABLE", "The model is overloaded. Please try again later."),
      503,
    );
    const words = "upstream gm answered 503: The model is overloaded. Please try again later.";
    const { openai, anthropic } = await told(failure);
    expect(openai).toEqual([503, expect.objectContaining({ ...OPENAI_OVERLOAD, message: words })]);
    expect(anthropic).toEqual([529, { type: "overloaded_error", message: words }]);
    // Its attempt's status stays the one Google sent.
    expect(failure.upstream?.status).toBe(503);
  });

  test("Bedrock's ServiceUnavailableException (503) and ModelNotReadyException (429, a model still loading): an overload, retried and failed over", async () => {
    const unavailable = bedrockFailure(
      "br",
      503,
      "ServiceUnavailableException",
      "Bedrock is unable to process your request.",
    );
    const notReady = bedrockFailure(
      "br",
      429,
      "ModelNotReadyException",
      "Model is not ready for inference. Wait and try your request again.",
    );
    for (const failure of [unavailable, notReady]) {
      expect([failure.code, failure.retryable]).toEqual(["upstream_error", true]);
      const { openai, anthropic } = await told(failure);
      expect(openai).toEqual([503, expect.objectContaining(OPENAI_OVERLOAD)]);
      expect(anthropic).toEqual([529, expect.objectContaining({ type: "overloaded_error" })]);
    }
    // The status Bedrock answered with, for the attempt's audit entry.
    expect(notReady.upstream?.status).toBe(429);
    // A stream's exception frame names it in lower camel case.
    const framed = bedrockFailure("br", 503, "serviceUnavailableException", "try again");
    expect((await told(framed)).openai[0]).toBe(503);
  });

  test("said inside a stream before the answer: Anthropic's overloaded_error event, OpenAI's server_is_overloaded, Google's UNAVAILABLE", async () => {
    const anthropicEvent = inBandError("anthropic", ANTHROPIC_529);
    expect((await told(anthropicEvent)).openai).toEqual([
      503,
      expect.objectContaining({ ...OPENAI_OVERLOAD, message: "Overloaded" }),
    ]);
    expect((await told(anthropicEvent)).anthropic[0]).toBe(529);
    const responsesFailed = inBandError("openai", {
      type: "response.failed",
      response: {
        status: "failed",
        error: { code: "server_is_overloaded", message: "Selected model is at capacity." },
      },
    });
    expect((await told(responsesFailed)).anthropic).toEqual([
      529,
      { type: "overloaded_error", message: "Selected model is at capacity." },
    ]);
    const gemini = googleInBandError(google("UNAVAILABLE", "The model is overloaded."));
    expect((await told(gemini)).openai).toEqual([503, expect.objectContaining(OPENAI_OVERLOAD)]);
    expect((await told(gemini)).anthropic[0]).toBe(529);
  });

  test("a Responses stream that fails so after its answer began ends with the code Codex reads as an overload", () => {
    const [error, failed] = responsesFailure(inBandError("anthropic", ANTHROPIC_529), 7, { id: "resp_1" });
    expect(JSON.parse(error?.data ?? "{}")).toMatchObject({ type: "error", code: "server_is_overloaded" });
    expect(JSON.parse(failed?.data ?? "{}")).toMatchObject({
      type: "response.failed",
      response: { status: "failed", error: { code: "server_is_overloaded", message: "Overloaded" } },
    });
    // A chat caller's error chunk says the same.
    expect(errorBody(inBandError("anthropic", ANTHROPIC_529), "openai")).toMatchObject({
      error: OPENAI_OVERLOAD,
    });
  });

  test("any other server fault stays the gateway's 502 in both dialects", async () => {
    const failure = upstreamFailure(
      "claude",
      answer(500, { type: "error", error: { type: "api_error", message: "boom" } }),
    );
    expect((await told(failure)).openai).toEqual([502, expect.objectContaining({ type: "server_error" })]);
    const gemini = googleFailure("gm", google("INTERNAL", "An internal error has occurred."), 500);
    const { openai, anthropic } = await told(gemini);
    expect([openai[0], anthropic[0]]).toEqual([502, 502]);
    expect(anthropic[1]).toMatchObject({ type: "api_error" });
  });
});
