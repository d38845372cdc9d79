import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { cloudFailuresFixture } from "./harness/cloud-failures-fixture.ts";
import { INPUT_TOO_LONG, WEATHER } from "./harness/cloud-gateway.ts";
import { drained, openaiFailure } from "./harness/sdk-failure.ts";
import { waitFor } from "./harness/wait-for.ts";

// A cloud vendor's failures in the caller's dialect (harness/cloud-gateway.ts): Bedrock's exceptions,
// whole and mid-stream, and overloads. Azure's: cloud-failures-azure.test.ts; Google's:
// cloud-failures-google.test.ts.

const { clouds, chat, chatFailure, failNext, messagesFailure, rowOf } = cloudFailuresFixture();
const { lastModelCall } = clouds;

describe("vendor failures in the caller's dialect", () => {
  test("a Bedrock ValidationException is the caller's 400, with Bedrock's message", async () => {
    failNext(INPUT_TOO_LONG);
    const error = await chatFailure("claude-bedrock");
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(400);
    expect(error.message).toContain("Input is too long");
  });

  test("Amazon Nova's context refusal on Bedrock (\"Input Tokens Exceeded\"): context_length_exceeded to an OpenAI caller, Anthropic's words to Claude Code", async () => {
    const nova =
      "The model returned the following errors: Input Tokens Exceeded: Number of input tokens exceeds maximum length. Please update the input to try again.";
    failNext({ status: 400, type: "ValidationException", message: nova });
    const error = await chatFailure("nova");
    expect([error.status, error.code, error.param]).toEqual([400, "context_length_exceeded", "messages"]);
    failNext({ status: 400, type: "ValidationException", message: nova });
    const refused = await messagesFailure("nova", 20);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused.error as { error: { message: string } }).error.message).toBe(
      `prompt is too long: ValidationException: ${nova}`,
    );
    const row = await rowOf(refused);
    expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
  });

  // AWS's validation listing quotes the value each refused field had (as vLLM's listings do,
  // core/says-context-too-long.ts): here a tool whose name, the caller's words, says a window was
  // exceeded (Converse's toolSpec.name pattern, as litellm#19384 quotes such a listing).
  test("a Bedrock ValidationException listing that quotes the caller's words of context windows is the caller's plain 400, not a context refusal", async () => {
    const listing =
      "1 validation error detected: Value 'when context window exceeded' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+";
    failNext({ status: 400, type: "ValidationException", message: listing });
    const error = await chatFailure("nova");
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).not.toBe("context_length_exceeded");
    expect(error.message).toContain(listing);
    failNext({ status: 400, type: "ValidationException", message: listing });
    const refused = await messagesFailure("nova", 20);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    const said = (refused.error as { error: { type: string; message: string } }).error;
    expect(said.type).toBe("invalid_request_error");
    expect(said.message).not.toContain("prompt is too long");
    const row = await rowOf(refused);
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
  });

  test("a Bedrock exception frame mid-stream ends the stream with an error: a model's fault is a server error, not the caller's", async () => {
    failNext({
      status: 424,
      type: "modelStreamErrorException",
      message: "model crashed",
      midStream: true,
    });
    const stream = await clouds.openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    const error = await openaiFailure(drained(stream));
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.error).toMatchObject({
      type: "server_error",
      code: "upstream_error",
    });
  });

  // A ConverseStream exception frame goes through the same judgement as a whole answer's status and
  // x-amzn-ErrorType (bedrock-errors.ts): a rate limit and the caller's fault in Bedrock's words, a
  // server fault after the gateway's account (`upstream br-web answered 503: …`), as statusFailure
  // words every upstream's.
  test.each([
    [429, "ThrottlingException", "Too many requests, please wait before trying again."],
    [400, "ValidationException", "The model returned the following errors: malformed input request"],
    [503, "ServiceUnavailableException", "Bedrock is unable to process your request."],
  ] as const)(
    "a Bedrock %d %s mid-stream is worded as the same whole answer is",
    async (status, type, message) => {
      failNext({ status, type, message });
      const whole = await chatFailure("nova");
      failNext({ status, type, message, midStream: true });
      const stream = await clouds.openai.chat.completions.create({
        model: "nova",
        messages: [{ role: "user", content: "stream please" }],
        stream: true,
      });
      const streamed = await openaiFailure(drained(stream));
      const said = (error: { error?: unknown }) => (error.error as { message?: string } | undefined)?.message;
      expect(said(whole)).toContain(`${type}: ${message}`);
      expect(said(streamed)).toBe(said(whole));
    },
  );

  test("a Bedrock ModelErrorException (424) is the model's fault: failed over to the next route; alone, a 502 api_error, audited so", async () => {
    const MODEL_ERROR = {
      status: 424,
      type: "ModelErrorException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      message: "The model produced an invalid response. Try your request again.",
    };
    failNext(MODEL_ERROR);
    const reply = await chat("bedrock-then-gemini");
    expect(reply.choices[0]?.message.content).toBeString();
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    failNext(MODEL_ERROR);
    const refused = await messagesFailure("claude-bedrock");
    expect(refused).toBeInstanceOf(Anthropic.InternalServerError);
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ error: { type: "api_error" } });
    expect(await rowOf(refused)).toMatchObject({ status: 502 });
  });

  test("a Bedrock ValidationException saying the route's model id is invalid is the route's fault: failed over to the next route; alone, a 502 in the gateway's words, not the caller's 400", async () => {
    const INVALID_ID = {
      status: 400,
      type: "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      message: "The provided model identifier is invalid.",
    };
    failNext(INVALID_ID);
    const reply = await chat("bedrock-then-gemini");
    expect(reply.choices[0]?.message.content).toContain("Hello from gemini");
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    failNext(INVALID_ID);
    const refused = await chatFailure("claude-bedrock");
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ type: "server_error", code: "upstream_error" });
    expect(refused.message).toContain(
      "upstream br answered 400: the route's model or URL is not found there",
    );
    expect(await rowOf(refused)).toMatchObject({ status: 502 });
  });

  test("a Bedrock turn that ends in malformed_tool_use or malformed_model_output is no answer: failed over to the next route, whole or streamed; alone, a 502 audited so", async () => {
    const FAILED = { status: 200, type: "", message: "" };
    failNext({ ...FAILED, stopReason: "malformed_tool_use" });
    const reply = await clouds.openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "use a tool" }],
      tools: [WEATHER],
    });
    expect(reply.choices[0]?.finish_reason).toBe("tool_calls");
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");

    failNext({ ...FAILED, stopReason: "malformed_model_output" });
    const stream = await clouds.openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("Hello from gemini");
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");

    failNext({ ...FAILED, stopReason: "malformed_tool_use" });
    const refused = await messagesFailure("claude-bedrock");
    expect(refused).toBeInstanceOf(Anthropic.InternalServerError);
    expect(refused.status).toBe(502);
    expect(refused.message).toContain("malformed tool call (Bedrock stopReason malformed_tool_use)");
    expect(await rowOf(refused)).toMatchObject({ status: 502 });
  });

  test("a Bedrock ModelTimeoutException (408) is an upstream timeout: failed over to the next route; alone, a 504 in either dialect (as Google's DEADLINE_EXCEEDED), audited so", async () => {
    const TIMEOUT = {
      status: 408,
      type: "ModelTimeoutException",
      message: "Model has timed out in processing the request. Try your request again.",
    };
    failNext(TIMEOUT);
    const reply = await chat("bedrock-then-gemini");
    expect(reply.choices[0]?.message.content).toBeString();
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    const told = `upstream br timed out: ModelTimeoutException: ${TIMEOUT.message}`;
    failNext(TIMEOUT);
    const error = await chatFailure("claude-bedrock");
    expect([error.status, error.code, (error.error as { message?: string }).message]).toEqual([
      504,
      "upstream_timeout",
      told,
    ]);
    const row = await rowOf(error);
    expect([row.status, row.errorClass, row.attempts?.[0]?.status]).toEqual([504, "upstream_timeout", 408]);
    failNext(TIMEOUT);
    const refused = await messagesFailure("claude-bedrock");
    expect(refused.status).toBe(504);
    expect(refused.error).toEqual({
      type: "error",
      error: { type: "timeout_error", message: told },
      request_id: expect.stringMatching(/^req_/),
    });
  });

  test("a client that hangs up mid-stream cancels the Bedrock call", async () => {
    failNext({ status: 200, type: "", message: "", stall: true });
    const before = clouds.cloud.aborted();
    const stream = await clouds.openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "long answer please" }],
      stream: true,
    });
    for await (const _ of stream) break; // the first chunk, then hang up
    await waitFor("the fake to see the call abandoned", () => clouds.cloud.aborted() > before, 10_000);
  });

  test.each([
    ["gemini-flash", 503, "UNAVAILABLE", "The model is overloaded. Please try again later.", "gm"],
    [
      "claude-bedrock",
      503,
      "ServiceUnavailableException",
      "Bedrock is unable to process your request.",
      "br",
    ],
  ] as const)(
    "%s: an overload is each caller's own API's (OpenAI's 503 server_is_overloaded, Anthropic's 529 overloaded_error), its own words after the gateway's account, in the answer and the audit row",
    async (model, status, type, message, provider) => {
      const said = type === "UNAVAILABLE" ? message : `${type}: ${message}`;
      const told = `upstream ${provider} answered ${status}: ${said}`;
      failNext({ status, type, message });
      const error = await chatFailure(model);
      expect([error.status, error.code, error.type, (error.error as { message?: string }).message]).toEqual([
        503,
        "server_is_overloaded",
        "service_unavailable_error",
        told,
      ]);
      expect(await rowOf(error)).toMatchObject({ status: 503, errorMessage: told });
      failNext({ status, type, message });
      const refused = await messagesFailure(model);
      expect(refused.status).toBe(529);
      expect(refused.error).toEqual({
        type: "error",
        error: { type: "overloaded_error", message: told },
        request_id: expect.stringMatching(/^req_/),
      });
      expect(await rowOf(refused)).toMatchObject({ status: 529 });
    },
  );

  test("Bedrock's ModelNotReadyException (a 429 for a model still loading) is an overload too, not a rate limit", async () => {
    const message = "Model is not ready for inference. Wait and try your request again.";
    failNext({ status: 429, type: "ModelNotReadyException", message });
    const error = await chatFailure("claude-bedrock");
    expect([error.status, error.code]).toEqual([503, "server_is_overloaded"]);
    // The attempt keeps the status Bedrock answered with.
    const row = await rowOf(error);
    expect(row.status).toBe(503);
    expect(row.attempts?.[0]?.status).toBe(429);
  });
});
