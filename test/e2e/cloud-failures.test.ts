import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import type { CloudFailure } from "../fake-cloud/fake-cloud-api.ts";
import { auditRow } from "./harness/admin-api.ts";
import { cloudGateway, INPUT_TOO_LONG, WEATHER } from "./harness/cloud-gateway.ts";
import { anthropicFailure, openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// A cloud vendor's failures in the caller's dialect (harness/cloud-gateway.ts): Bedrock's exceptions,
// whole and mid-stream, and Google's errors, never relayed in Google's shape.

const clouds = cloudGateway();
let cloud: FakeCloud;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, gw, openai, anthropic } = clouds);
});
const { lastModelCall } = clouds;

/**
 * An Azure refusal that is the route's, not the caller's: the first (`azure-then-gemini`) fails over to
 * Gemini; the second, on the Azure route alone, is an OpenAI caller's 502 `upstream_error` in the
 * gateway's words (`says`), audited 502; the third an Anthropic caller's 502 `api_error`, returned.
 */
async function azureRouteFault(
  [first, alone, anthropicAlone]: [CloudFailure, CloudFailure, CloudFailure],
  says: string,
): Promise<InstanceType<typeof Anthropic.APIError>> {
  cloud.failNext(first);
  const reply = await openai.chat.completions.create({
    model: "azure-then-gemini",
    messages: [{ role: "user", content: "x" }],
  });
  expect(reply.choices[0]?.message.content).toContain("Hello from gemini");
  cloud.failNext(alone);
  const refused = await openaiFailure(
    openai.chat.completions.create({ model: "azure-4o", messages: [{ role: "user", content: "x" }] }),
  );
  expect(refused).toBeInstanceOf(OpenAI.APIError);
  expect(refused.status).toBe(502);
  expect(refused.error).toMatchObject({ type: "server_error", code: "upstream_error" });
  expect(refused.message).toContain(`upstream az answered 400: ${says}`);
  expect(await auditRow(gw, refused.requestID ?? "")).toMatchObject({ status: 502 });
  cloud.failNext(anthropicAlone);
  const anthropicRefused = await anthropicFailure(
    anthropic.messages.create({
      model: "azure-4o",
      max_tokens: 32,
      messages: [{ role: "user", content: "x" }],
    }),
  );
  expect(anthropicRefused.status).toBe(502);
  expect(anthropicRefused.error).toMatchObject({ type: "error", error: { type: "api_error" } });
  return anthropicRefused;
}

describe("vendor failures in the caller's dialect", () => {
  test("a Bedrock ValidationException is the caller's 400, with Bedrock's message", async () => {
    cloud.failNext(INPUT_TOO_LONG);
    const error = await openaiFailure(
      openai.chat.completions.create({ model: "claude-bedrock", messages: [{ role: "user", content: "x" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(400);
    expect(error.message).toContain("Input is too long");
  });

  test("Amazon Nova's context refusal on Bedrock (\"Input Tokens Exceeded\"): context_length_exceeded to an OpenAI caller, Anthropic's words to Claude Code", async () => {
    const nova =
      "The model returned the following errors: Input Tokens Exceeded: Number of input tokens exceeds maximum length. Please update the input to try again.";
    cloud.failNext({ status: 400, type: "ValidationException", message: nova });
    const error = await openaiFailure(
      openai.chat.completions.create({ model: "nova", messages: [{ role: "user", content: "x" }] }),
    );
    expect([error.status, error.code, error.param]).toEqual([400, "context_length_exceeded", "messages"]);
    cloud.failNext({ status: 400, type: "ValidationException", message: nova });
    const refused = await anthropicFailure(
      anthropic.messages.create({
        model: "nova",
        max_tokens: 20,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect((refused.error as { error: { message: string } }).error.message).toBe(
      `prompt is too long: ValidationException: ${nova}`,
    );
    const row = await auditRow(gw, refused.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
  });

  // AWS's validation listing quotes the value each refused field had (as vLLM's listings do,
  // core/says-context-too-long.ts): here a tool whose name, the caller's words, says a window was
  // exceeded (Converse's toolSpec.name pattern, as litellm#19384 quotes such a listing).
  test("a Bedrock ValidationException listing that quotes the caller's words of context windows is the caller's plain 400, not a context refusal", async () => {
    const listing =
      "1 validation error detected: Value 'when context window exceeded' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+";
    cloud.failNext({ status: 400, type: "ValidationException", message: listing });
    const error = await openaiFailure(
      openai.chat.completions.create({ model: "nova", messages: [{ role: "user", content: "x" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).not.toBe("context_length_exceeded");
    expect(error.message).toContain(listing);
    cloud.failNext({ status: 400, type: "ValidationException", message: listing });
    const refused = await anthropicFailure(
      anthropic.messages.create({
        model: "nova",
        max_tokens: 20,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    const said = (refused.error as { error: { type: string; message: string } }).error;
    expect(said.type).toBe("invalid_request_error");
    expect(said.message).not.toContain("prompt is too long");
    const row = await auditRow(gw, refused.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
  });

  test("a Bedrock exception frame mid-stream ends the stream with an error: a model's fault is a server error, not the caller's", async () => {
    cloud.failNext({
      status: 424,
      type: "modelStreamErrorException",
      message: "model crashed",
      midStream: true,
    });
    const stream = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    const error = await openaiFailure(
      (async () => {
        for await (const _ of stream) {
          // drain until the error
        }
      })(),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.error).toMatchObject({
      type: "server_error",
      code: "upstream_error",
    });
  });

  test("a Bedrock ModelErrorException (424) is the model's fault: failed over to the next route; alone, a 502 api_error, audited so", async () => {
    const MODEL_ERROR = {
      status: 424,
      type: "ModelErrorException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      message: "The model produced an invalid response. Try your request again.",
    };
    cloud.failNext(MODEL_ERROR);
    const reply = await openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBeString();
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    cloud.failNext(MODEL_ERROR);
    const refused = await anthropicFailure(
      anthropic.messages.create({
        model: "claude-bedrock",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(refused).toBeInstanceOf(Anthropic.InternalServerError);
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ error: { type: "api_error" } });
    expect(await auditRow(gw, refused.requestID ?? "")).toMatchObject({ status: 502 });
  });

  test("a Bedrock ValidationException saying the route's model id is invalid is the route's fault: failed over to the next route; alone, a 502 in the gateway's words, not the caller's 400", async () => {
    const INVALID_ID = {
      status: 400,
      type: "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
      message: "The provided model identifier is invalid.",
    };
    cloud.failNext(INVALID_ID);
    const reply = await openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toContain("Hello from gemini");
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    cloud.failNext(INVALID_ID);
    const refused = await openaiFailure(
      openai.chat.completions.create({ model: "claude-bedrock", messages: [{ role: "user", content: "x" }] }),
    );
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ type: "server_error", code: "upstream_error" });
    expect(refused.message).toContain(
      "upstream br answered 400: the route's model or URL is not found there",
    );
    expect(await auditRow(gw, refused.requestID ?? "")).toMatchObject({ status: 502 });
  });

  test("Azure's 400 OperationNotSupported (the deployment's model does not serve chat: an embedding model, one served only through the Responses API) is an operation the route does not serve, counted by no breaker: failed over; alone, a 502 saying so in the gateway's words, in either dialect", async () => {
    const NOT_CHAT = {
      status: 400,
      type: "OperationNotSupported",
      message:
        "The chatCompletion operation does not work with the specified model, text-embedding-3-small. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
    };
    await azureRouteFault([NOT_CHAT, NOT_CHAT, NOT_CHAT], "the route's model does not serve this operation");
  });

  test("Azure's 400 BadRequest refusing the provider's api_version (retired: \"API version not supported\"; too old for the deployment's model: \"Model … is enabled only for api versions … and later\") is the route's configuration, not the caller's request: failed over; alone, a 502 in the gateway's words, in either dialect", async () => {
    const RETIRED = { status: 400, type: "BadRequest", message: "API version not supported" };
    // Azure's own words, its placeholder unfilled as it sends them.
    const TOO_OLD = {
      status: 400,
      type: "BadRequest",
      message: "Model {modelName} is enabled only for api versions 2024-12-01-preview and later",
    };
    const anthropicRefused = await azureRouteFault(
      [RETIRED, TOO_OLD, RETIRED],
      "the route's API version is not served there",
    );
    expect(anthropicRefused.message).toContain("the route's API version is not served there");
  });

  test("a caller's own ?api-version= (as Azure's SDK clients send on every call) never reaches Azure: the provider's api_version is sent, on a deployment and on the v1 API, so the call is answered and no route is blamed", async () => {
    const azureShaped = new OpenAI({
      baseURL: openai.baseURL,
      apiKey: openai.apiKey,
      maxRetries: 0,
      defaultQuery: { "api-version": "2023-05-15" },
    });
    for (const [model, sent] of [
      ["azure-4o", "api-version=2024-10-21"],
      ["azure-v1", ""],
    ] as const) {
      const reply = await azureShaped.chat.completions.create({
        model,
        messages: [{ role: "user", content: "x" }],
      });
      expect(reply.choices[0]?.message.content).toContain("Hello from azure");
      expect(lastModelCall()?.query.replace(/^\?/, "")).toBe(sent);
    }
  });

  test("Azure's 429 saying its wait only in x-ms-retry-after-ms (as Azure SDKs read it): the caller is told it as retry-after-ms and Retry-After, which the OpenAI and Anthropic SDKs read", async () => {
    const LIMITED = {
      status: 429,
      type: "429",
      message: "Requests to the ChatCompletions_Create Operation have exceeded the rate limit.",
      msRetryAfterMs: "30500",
    };
    cloud.failNext(LIMITED);
    const limited = await openaiFailure(
      openai.chat.completions.create({ model: "azure-4o", messages: [{ role: "user", content: "x" }] }),
    );
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect({
      ms: limited.headers?.get("retry-after-ms"),
      seconds: limited.headers?.get("retry-after"),
    }).toEqual({ ms: "30500", seconds: "31" });
    cloud.failNext(LIMITED);
    const refused = await anthropicFailure(
      anthropic.messages.create({
        model: "azure-4o",
        max_tokens: 32,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    expect(refused.headers?.get("retry-after")).toBe("31");
  });

  test("a Bedrock turn that ends in malformed_tool_use or malformed_model_output is no answer: failed over to the next route, whole or streamed; alone, a 502 audited so", async () => {
    const FAILED = { status: 200, type: "", message: "" };
    cloud.failNext({ ...FAILED, stopReason: "malformed_tool_use" });
    const reply = await openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "use a tool" }],
      tools: [WEATHER],
    });
    expect(reply.choices[0]?.finish_reason).toBe("tool_calls");
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");

    cloud.failNext({ ...FAILED, stopReason: "malformed_model_output" });
    const stream = await openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toContain("Hello from gemini");
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");

    cloud.failNext({ ...FAILED, stopReason: "malformed_tool_use" });
    const refused = await anthropicFailure(
      anthropic.messages.create({
        model: "claude-bedrock",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(refused).toBeInstanceOf(Anthropic.InternalServerError);
    expect(refused.status).toBe(502);
    expect(refused.message).toContain("malformed tool call (Bedrock stopReason malformed_tool_use)");
    expect(await auditRow(gw, refused.requestID ?? "")).toMatchObject({ status: 502 });
  });

  test("a Bedrock ModelTimeoutException (408) is an upstream timeout: failed over to the next route; alone, a 504 in either dialect (as Google's DEADLINE_EXCEEDED), audited so", async () => {
    const TIMEOUT = {
      status: 408,
      type: "ModelTimeoutException",
      message: "Model has timed out in processing the request. Try your request again.",
    };
    cloud.failNext(TIMEOUT);
    const reply = await openai.chat.completions.create({
      model: "bedrock-then-gemini",
      messages: [{ role: "user", content: "x" }],
    });
    expect(reply.choices[0]?.message.content).toBeString();
    expect(lastModelCall()?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    const told = `upstream br timed out: ModelTimeoutException: ${TIMEOUT.message}`;
    cloud.failNext(TIMEOUT);
    const error = await openaiFailure(
      openai.chat.completions.create({ model: "claude-bedrock", messages: [{ role: "user", content: "x" }] }),
    );
    expect([error.status, error.code, (error.error as { message?: string }).message]).toEqual([
      504,
      "upstream_timeout",
      told,
    ]);
    const row = await auditRow(gw, error.requestID ?? "");
    expect([row.status, row.errorClass, row.attempts?.[0]?.status]).toEqual([504, "upstream_timeout", 408]);
    cloud.failNext(TIMEOUT);
    const refused = await anthropicFailure(
      anthropic.messages.create({
        model: "claude-bedrock",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(refused.status).toBe(504);
    expect(refused.error).toEqual({
      type: "error",
      error: { type: "timeout_error", message: told },
      request_id: expect.stringMatching(/^req_/),
    });
  });

  test("a client that hangs up mid-stream cancels the Bedrock call", async () => {
    cloud.failNext({ status: 200, type: "", message: "", stall: true });
    const before = cloud.aborted();
    const stream = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "long answer please" }],
      stream: true,
    });
    for await (const _ of stream) break; // the first chunk, then hang up
    await waitFor("the fake to see the call abandoned", () => cloud.aborted() > before, 10_000);
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
      cloud.failNext({ status, type, message });
      const error = await openaiFailure(
        openai.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }),
      );
      expect([error.status, error.code, error.type, (error.error as { message?: string }).message]).toEqual([
        503,
        "server_is_overloaded",
        "service_unavailable_error",
        told,
      ]);
      expect(await auditRow(gw, error.requestID ?? "")).toMatchObject({ status: 503, errorMessage: told });
      cloud.failNext({ status, type, message });
      const refused = await anthropicFailure(
        anthropic.messages.create({ model, max_tokens: 10, messages: [{ role: "user", content: "x" }] }),
      );
      expect(refused.status).toBe(529);
      expect(refused.error).toEqual({
        type: "error",
        error: { type: "overloaded_error", message: told },
        request_id: expect.stringMatching(/^req_/),
      });
      expect(await auditRow(gw, refused.requestID ?? "")).toMatchObject({ status: 529 });
    },
  );

  test("Bedrock's ModelNotReadyException (a 429 for a model still loading) is an overload too, not a rate limit", async () => {
    const message = "Model is not ready for inference. Wait and try your request again.";
    cloud.failNext({ status: 429, type: "ModelNotReadyException", message });
    const error = await openaiFailure(
      openai.chat.completions.create({ model: "claude-bedrock", messages: [{ role: "user", content: "x" }] }),
    );
    expect([error.status, error.code]).toEqual([503, "server_is_overloaded"]);
    // The attempt keeps the status Bedrock answered with.
    const row = await auditRow(gw, error.requestID ?? "");
    expect(row.status).toBe(503);
    expect(row.attempts?.[0]?.status).toBe(429);
  });

  test("a Gemini 503 that quotes a key and an internal URL: neither reaches the caller nor its audit row", async () => {
    const message =
      "Backend http://tpu-7.corp.internal:8471/v1/generate refused key sk-abcdefghijklmnopqrst1234.";
    const told = "upstream gm answered 503: Backend (a URL) refused key [redacted].";
    cloud.failNext({ status: 503, type: "UNAVAILABLE", message });
    const error = await openaiFailure(
      openai.chat.completions.create({ model: "gemini-flash", messages: [{ role: "user", content: "x" }] }),
    );
    expect([error.status, (error.error as { message?: string }).message]).toEqual([503, told]);
    expect(await auditRow(gw, error.requestID ?? "")).toMatchObject({ status: 503, errorMessage: told });
  });

  test("a Gemini error keeps its status class and message", async () => {
    cloud.failNext({
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "Request contains an invalid argument.",
    });
    const error = await anthropicFailure(
      anthropic.messages.create({
        model: "gemini-flash",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(400);
    expect(error.message).toContain("invalid argument");
  });
});

describe("Google's errors said in the caller's dialect, never relayed in Google's shape", () => {
  type ApiError = InstanceType<typeof OpenAI.APIError>;
  type AnthropicError = InstanceType<typeof Anthropic.APIError>;
  /** What `promise` failed with; a success fails the test. */
  const failure = async <E>(promise: Promise<unknown>): Promise<E> => {
    try {
      await promise;
    } catch (error) {
      return error as E;
    }
    throw new Error("expected a failure");
  };
  const chat = (model: string) =>
    failure<ApiError>(openai.chat.completions.create({ model, messages: [{ role: "user", content: "x" }] }));
  const messages = (model: string) =>
    failure<AnthropicError>(
      anthropic.messages.create({ model, max_tokens: 10, messages: [{ role: "user", content: "x" }] }),
    );
  const QUOTA = {
    status: 429,
    type: "RESOURCE_EXHAUSTED",
    message: "You exceeded your current quota, please check your plan and billing details.",
    google: { retryDelay: "12.4s" },
  };

  test.each(["gemini-flash", "vertex-flash", "claude-vertex"])(
    "%s: RESOURCE_EXHAUSTED is a 429 rate_limit_error with Retry-After from RetryInfo",
    async (model) => {
      cloud.failNext(QUOTA);
      const error = await chat(model);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.headers?.get("retry-after")).toBe("13");
      expect(error.error).toEqual({
        message: QUOTA.message,
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      });
      cloud.failNext(QUOTA);
      const refused = await messages(model);
      expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
      expect(refused.headers?.get("retry-after")).toBe("13");
      expect(refused.error).toEqual({
        type: "error",
        error: { type: "rate_limit_error", message: QUOTA.message },
        request_id: expect.stringMatching(/^req_/),
      });
    },
  );

  test("a prompt over Gemini's window is context_length_exceeded on messages; Anthropic callers read prompt is too long", async () => {
    const tooLong = {
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    };
    cloud.failNext(tooLong);
    const error = await chat("gemini-flash");
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.code, error.param, error.type]).toEqual([
      "context_length_exceeded",
      "messages",
      "invalid_request_error",
    ]);
    cloud.failNext(tooLong);
    const refused = await messages("vertex-flash");
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    expect(refused.message).toContain("prompt is too long: 1200000 tokens > 1048576 maximum");
  });

  test("a key Gemini refuses (API_KEY_INVALID) is the gateway's: a 502 naming the provider, in both dialects", async () => {
    const error = await chat("gemini-stale-key");
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error.status).toBe(502);
    expect(error.message).toContain("upstream gm-stale rejected the gateway's credentials");
    expect(error.message).not.toContain("API key not valid");
    const refused = await messages("gemini-stale-key");
    expect(refused.status).toBe(502);
    expect(refused.error).toMatchObject({ error: { type: "api_error" } });
    const row = await auditRow(gw, refused.requestID ?? "");
    expect(row).toMatchObject({ status: 502 });
  });

  test("Google's error wrapped in a JSON array (as streamGenerateContent sends it) is read as the object: a refused key the gateway's 502, RetryInfo's delay kept", async () => {
    cloud.failNext({
      status: 400,
      type: "INVALID_ARGUMENT",
      message: "API key expired. Please renew the API key.",
      google: { reason: "API_KEY_EXPIRED", inArray: true },
    });
    const refused = await chat("gemini-flash");
    expect(refused.status).toBe(502);
    expect(refused.message).toContain("upstream gm rejected the gateway's credentials");
    cloud.failNext({ ...QUOTA, google: { ...QUOTA.google, inArray: true } });
    const limited = await messages("vertex-flash");
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    expect(limited.headers?.get("retry-after")).toBe("13");
  });

  test.each([
    [403, "PERMISSION_DENIED", "Permission 'aiplatform.endpoints.predict' denied", 502],
    [401, "UNAUTHENTICATED", "Request had invalid authentication credentials.", 502],
    // The route's model unknown upstream (Vertex AI's words name it): the route's configuration,
    // not the caller's request.
    [
      404,
      "NOT_FOUND",
      "Publisher Model `projects/p/locations/us-central1/publishers/google/models/gemini-9` was not found or your project does not have access to it.",
      502,
    ],
    // An overload: OpenAI's own 503 (server_is_overloaded).
    [503, "UNAVAILABLE", "The model is overloaded. Please try again later.", 503],
    [504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", 504],
  ] as const)(
    "vertex %i %s reaches an OpenAI caller as %i in OpenAI's shape",
    async (status, type, message, expected) => {
      cloud.failNext({ status, type, message });
      // A 401 is sent once more with a fresh token: refused again, it is the gateway's 502.
      if (status === 401) cloud.failNext({ status, type, message });
      const error = await chat("vertex-flash");
      expect(error.status).toBe(expected);
      expect(typeof error.error).toBe("object");
      const body = error.error as Record<string, unknown>;
      expect(typeof body.type).toBe("string");
      expect(typeof body.code).toBe("string");
      expect(body).not.toHaveProperty("status");
      expect(JSON.stringify(body)).not.toContain("gemini-9");
    },
  );

  test("Google's error object mid-stream ends the stream with an error in the caller's dialect", async () => {
    cloud.failNext({ ...QUOTA, midStream: true });
    const stream = await openai.chat.completions.create({
      model: "gemini-flash",
      messages: [{ role: "user", content: "stream please" }],
      stream: true,
    });
    const error = await failure<ApiError>(
      (async () => {
        for await (const _ of stream) {
          // drain until the error
        }
      })(),
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.error).toMatchObject({ type: "rate_limit_error", message: QUOTA.message });
    cloud.failNext({ ...QUOTA, midStream: true });
    const broken = await failure<AnthropicError>(
      anthropic.messages
        .stream({
          model: "vertex-flash",
          max_tokens: 100,
          messages: [{ role: "user", content: "stream please" }],
        })
        .finalMessage(),
    );
    expect(broken).toBeInstanceOf(Anthropic.APIError);
    expect(broken.error).toMatchObject({ error: { type: "rate_limit_error", message: QUOTA.message } });
  });
});
