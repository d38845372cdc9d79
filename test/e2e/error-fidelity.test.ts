import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { spawnWorker, waitForWorkers } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// An upstream's error keeps its meaning through the gateway, for every pair of dialects: a 429
// stays a 429 with its Retry-After; a context-length refusal keeps OpenAI's code and param; a
// same-dialect 4xx body comes back as the upstream sent it.

let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
let key: string;

/**
 * What a proxy in front of a provider answers when the provider is down: a 503 with an HTML page,
 * or with no body at all (upstream model `empty`), and a Retry-After.
 */
function proxyPage() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      const page = "<html><head><title>503 Service Unavailable</title></head><body>nginx</body></html>";
      return new Response(model === "empty" ? null : page, {
        status: 503,
        headers: { "content-type": "text/html", "retry-after": "9" },
      });
    },
  });
}

/** Calls each vendor answer below got, by the upstream model it was asked for. */
const vendorCalls = new Map<string, number>();

/**
 * One entry of a FastAPI validation listing (pydantic's `errors()`), its `input` the value the caller
 * sent: here a prompt that speaks of context lengths itself.
 */
const ECHOED_ENTRY =
  "{'type': 'string_type', 'loc': ('body', 'messages', 0, 'content', 'str'), 'msg': 'Input should be a valid string', 'input': [{'type': 'txt', 'text': 'Our maximum context length is 32k tokens: is the prompt is too long for that?'}]}";

/**
 * Error bodies as vendors and self-hosted servers send them, by the upstream model asked for (the
 * path's, for Gemini). Sources: FastAPI's 422 as LlamaFactory's API sends it
 * (hiyouga/LlamaFactory#2644); TGI's 422 (huggingface/text-generation-inference#628); OpenAI's 429
 * naming the organization (BuilderIO/micro-agent#86); Anthropic's naming the organization's UUID,
 * with its request_id (bhouston/mycoder#62); Google's quota naming the project
 * (google-gemini/gemini-cli#10925); SGLang's context-length 400, which Together AI's API words
 * alike (QwenLM/Qwen3#1321), and xAI's, in its own shape (`{"code","error"}`); vLLM's on its
 * Anthropic Messages endpoint, its own error in Anthropic's shape (vllm/entrypoints/anthropic).
 *
 * And a vendor refusing the gateway itself, in its own words: Anthropic's credit balance (a 400:
 * anthropics/claude-code#66314), OpenAI's insufficient_quota (a 429: Pythagora-io/gpt-pilot#340),
 * OpenAI's model_not_found for the route's model (a 404), and OpenAI's daily limit, whose 429 says
 * when in its rate-limit headers alone.
 */
function vendorAnswers() {
  const openAI = (message: string, type: string, code: string) => ({
    error: { message, type, param: null, code },
  });
  const answers: Record<string, [number, object, Record<string, string>?]> = {
    "fastapi-422": [
      422,
      {
        detail: [
          {
            type: "literal_error",
            loc: ["body", "messages", 0, "role"],
            msg: "Input should be 'system', 'user', 'assistant' or 'tool'",
            input: "critic",
          },
        ],
      },
    ],
    "sglang-400": [
      400,
      {
        object: "error",
        message: "The input (61709 tokens) is longer than the model's context length (40960 tokens).",
        type: "BadRequestError",
        param: null,
        code: 400,
      },
    ],
    // Alibaba's Qwen API (DashScope's OpenAI-compatible mode): the window alone, its own code.
    "dashscope-400": [
      400,
      {
        error: {
          message: "Range of input length should be [1, 129024]",
          type: "invalid_request_error",
          param: null,
          code: "invalid_parameter_error",
        },
      },
    ],
    "xai-400": [
      400,
      {
        code: "Client specified an invalid argument",
        error: "This model's maximum prompt length is 131072 but the request contains 149617 tokens.",
      },
    ],
    "vllm-messages-400": [
      400,
      {
        type: "error",
        error: {
          type: "BadRequestError",
          message:
            "This model's maximum context length is 16384 tokens. However, you requested 19591 tokens (9591 in the messages, 10000 in the completion). Please reduce the length of the messages or completion.",
        },
      },
    ],
    // vLLM's and SGLang's 400 for a request their schema refuses: the validation errors listed,
    // each with the value it refused, the caller's own words (FastAPI's listing, then its entries
    // again, as vLLM's api_server.py words it; SGLang's the same at the top; pydantic's own, as
    // vLLM's Messages endpoint words a ValueError, its repr cut to 25 + 24 characters).
    "vllm-listing-400": [
      400,
      {
        error: {
          message: `1 validation error:\n  ${ECHOED_ENTRY}\n\n  File "/usr/local/lib/python3.12/dist-packages/vllm/entrypoints/openai/api_server.py", line 661, in create_chat_completion\n    POST /v1/chat/completions [${ECHOED_ENTRY}]`,
          type: "Bad Request",
          param: null,
          code: 400,
        },
      },
    ],
    "sglang-listing-400": [
      400,
      { object: "error", message: ` [${ECHOED_ENTRY}]`, type: "Bad Request", param: null, code: 400 },
    ],
    "vllm-messages-listing-400": [
      400,
      {
        type: "error",
        error: {
          type: "BadRequestError",
          message:
            "1 validation error for ChatCompletionRequest\nmessages.0.content.str\n  Input should be a valid string [type=string_type, input_value=[{'type': 'txt', 'text'...if the prompt is too long'}], input_type=list]\n    For further information visit https://errors.pydantic.dev/2.11/v/string_type",
        },
      },
    ],
    "tgi-422": [
      422,
      {
        error:
          "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`",
        error_type: "validation",
      },
    ],
    "org-429": [
      429,
      {
        error: {
          message:
            "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.",
          type: "tokens",
          param: null,
          code: "rate_limit_exceeded",
        },
      },
    ],
    // A proxy that relays OpenAI's error in a 200 answer.
    "org-in-200": [
      200,
      {
        error: {
          message:
            "Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM). (Please include the request ID req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c in your message.)",
          type: "tokens",
          param: null,
          code: "rate_limit_exceeded",
        },
      },
    ],
    "anthropic-429": [
      429,
      {
        type: "error",
        error: {
          type: "rate_limit_error",
          message:
            "This request would exceed the rate limit for your organization (a22cf6e6-a940-4fff-8c4c-1580816ac7be) of 40,000 input tokens per minute.",
        },
        request_id: "req_011CbrFTcXhtiMzr3s6EocF7",
      },
    ],
    "gemini-429": [
      429,
      {
        error: {
          code: 429,
          message:
            "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'aiplatform.googleapis.com' for consumer 'project_number:681255809395'.",
          status: "RESOURCE_EXHAUSTED",
        },
      },
    ],
    // Gemini's free tier's day spent: QuotaFailure names the day's quota, and RetryInfo the minute
    // window's wait, as with every RESOURCE_EXHAUSTED (googleapis/python-genai#2044).
    "gemini-daily": [
      429,
      {
        error: {
          code: 429,
          message:
            "You exceeded your current quota, please check your plan and billing details.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50, model: gemini-2.0-flash\nPlease retry in 47.3s.",
          status: "RESOURCE_EXHAUSTED",
          details: [
            {
              "@type": "type.googleapis.com/google.rpc.QuotaFailure",
              violations: [
                {
                  quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                  quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                  quotaDimensions: { location: "global", model: "gemini-2.0-flash" },
                  quotaValue: "50",
                },
              ],
            },
            { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "47s" },
          ],
        },
      },
    ],
    credit: [
      400,
      {
        type: "error",
        error: {
          type: "invalid_request_error",
          message:
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
        },
      },
    ],
    quota: [
      429,
      openAI(
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
      ),
    ],
    // Moonshot's (Kimi's) account out of balance: a 429 with a type of its own, no code.
    "kimi-quota": [
      429,
      {
        error: {
          message:
            "Your account is suspended due to insufficient balance, please recharge your account or check your plan and billing details",
          type: "exceeded_current_quota_error",
        },
      },
    ],
    // An account whose billing was never set up or was stopped: a 429 no wait ends either.
    "billing-inactive": [
      429,
      openAI(
        "Your account is not active, please check your billing details on our website.",
        "billing_not_active",
        "billing_not_active",
      ),
    ],
    gone: [
      404,
      openAI(
        "The model `gone` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
      ),
    ],
    // A reasoning item OpenAI does not hold (another organization's, or not stored): the caller's.
    "item-gone": [
      404,
      {
        error: {
          message:
            "Item with id 'rs_0a1b2c3d' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.",
          type: "invalid_request_error",
          param: "input",
          code: null,
        },
      },
    ],
    // A file the request names that Anthropic does not hold: the caller's 404, about no model.
    "file-gone": [
      404,
      {
        type: "error",
        error: { type: "not_found_error", message: "File not found: file_011CNha8iCJcU1wXNR6q4V8w" },
      },
    ],
    // A Responses answer whole, which failed: OpenAI's `response.failed` at a stream's end, as a 200.
    "failed-response": [
      200,
      {
        id: "resp_0f1e2d3c",
        object: "response",
        status: "failed",
        error: { code: "server_error", message: "The model failed to generate a response." },
        incomplete_details: null,
        output: [],
        usage: { input_tokens: 5, output_tokens: 0, total_tokens: 5 },
      },
    ],
    // An Anthropic-compatible server without /v1/messages/count_tokens (a FastAPI app's 404).
    "no-count": [404, { detail: "Not Found" }],
    // Azure's way: the wait said only as `retry-after-ms`, no `Retry-After`.
    "ms-only": [
      429,
      openAI(
        "Requests to the ChatCompletions_Create Operation have exceeded the rate limit.",
        "requests",
        "429",
      ),
      { "retry-after-ms": "2500" },
    ],
    // A proxy's 500 that quotes where it sent the call, and the key it sent (LiteLLM's way).
    "leaky-500": [
      500,
      openAI(
        "LiteLLM: call to http://vllm-3.corp.internal:8000/v1?api_key=sk-abcdefghijklmnopqrstuvwx failed (fallback 10.0.4.7:8000, arn:aws:bedrock:us-east-1:123456789012:model/x)",
        "server_error",
        "internal_error",
      ),
    ],
    // OpenRouter's free models' day spent: its reset only in the body's metadata, no header.
    "openrouter-daily": [
      429,
      {
        error: {
          message:
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
          code: 429,
          metadata: {
            headers: {
              "X-RateLimit-Limit": "50",
              "X-RateLimit-Remaining": "0",
              "X-RateLimit-Reset": "1788825600000",
            },
          },
        },
      },
    ],
    // OpenAI's daily limit: when it ends, in its rate-limit headers alone.
    daily: [
      429,
      openAI(
        "Rate limit reached for gpt-4o in organization org-x on requests per day (RPD): Limit 10000, Used 10000, Requested 1.",
        "requests",
        "rate_limit_exceeded",
      ),
      {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "6m0s",
        "x-ratelimit-reset-tokens": "0s",
      },
    ],
    // The same, said in its words alone: no header says when.
    "daily-words": [
      429,
      openAI(
        "Rate limit reached for gpt-4o in organization org-x on requests per day (RPD): Limit 10000, Used 10000, Requested 1.",
        "requests",
        "rate_limit_exceeded",
      ),
    ],
  };
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      // Gemini names the model in its path, the others in the body.
      const inPath = /\/models\/([^/:]+):/.exec(new URL(request.url).pathname)?.[1];
      const model = inPath ?? ((await request.json()) as { model?: string }).model ?? "";
      vendorCalls.set(model, (vendorCalls.get(model) ?? 0) + 1);
      const [status, body, headers] = answers[model] ?? [
        500,
        { error: { message: `no answer for ${model}` } },
      ];
      return Response.json(body, { status, headers: headers ?? {} });
    },
  });
}

/**
 * An upstream that quotes the credential it was sent in its refusal, as some servers do ("Invalid
 * request for key …"): the bearer token, or an `api-key` header's. A 500 for an upstream model
 * ending in `-500`, else a 400; OpenAI's error shape.
 */
function keyQuoter() {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      // A worker asks whether it serves the Responses API: it does not.
      if (!new URL(request.url).pathname.endsWith("/chat/completions"))
        return new Response(null, { status: 404 });
      const { model } = (await request.json()) as { model: string };
      const sent =
        request.headers.get("api-key") ?? request.headers.get("authorization")?.replace(/^Bearer /, "");
      const message = `Invalid request for key ${sent}`;
      const error = { message, type: "invalid_request_error", param: null, code: null };
      return Response.json({ error }, { status: model.endsWith("-500") ? 500 : 400 });
    },
  });
}

/**
 * A llama.cpp server from before 2025, which reports a stream's failure in an SSE field of its own,
 * `error: {…}`, then ends it with `data: [DONE]` (its server.cpp's `format_sse` of an error): after
 * a first chunk for upstream model `mid`, as the stream's first event for `first`.
 */
function llamaCppBefore2025() {
  const failure = { code: 500, message: "llama_decode failed: out of KV cache", type: "server_error" };
  const chunk = `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: "partial answer " }, finish_reason: null }] })}\n\n`;
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      const failed = `error: ${JSON.stringify(failure)}\n\ndata: [DONE]\n\n`;
      return new Response(model === "mid" ? `${chunk}${failed}` : failed, {
        headers: { "content-type": "text/event-stream" },
      });
    },
  });
}

/** The gateway's own upstream credentials (keyQuoter's providers): one of no known shape, a header's, Groq's. */
const UPSTREAM_KEYS = {
  plain: "plainUpstreamToken_9f8e7d6c5b4a",
  header: "azureStyleKey0123456789abcdef0123",
  groq: "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
  worker: "workerUpstreamKey_77aa88bb99cc",
};

let quoterUrl = "";
const keyQuoterUrl = () => quoterUrl;
/** The key quoter the fixture started, its address kept for the worker's test. */
function keyQuoterAt(server: ReturnType<typeof keyQuoter>): ReturnType<typeof keyQuoter> {
  quoterUrl = server.url.href;
  return server;
}

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake, own }) => ({
    providers: [
      { name: "oa", type: "openai", base_url: `${fake.url}/v1` },
      { name: "an", type: "anthropic", base_url: fake.url },
      ...(({ url }) => [
        { name: "oa-proxy", type: "openai", base_url: `${url}v1` },
        { name: "an-proxy", type: "anthropic", base_url: url.href.replace(/\/$/, "") },
      ])(own(proxyPage())),
      ...(({ url }) => [
        { name: "self-hosted", type: "openai", base_url: `${url}v1` },
        { name: "oa-vendor", type: "openai", base_url: `${url}v1` },
        { name: "an-vendor", type: "anthropic", base_url: url.href.replace(/\/$/, "") },
        { name: "gm-vendor", type: "gemini", base_url: `${url}v1beta`, api_key: "gemini-key" },
        { name: "oa-responses", type: "openai", base_url: `${url}v1`, responses_api: true },
      ])(own(vendorAnswers())),
      ...(({ url }) => [
        { name: "keyed", type: "openai", base_url: `${url}v1`, api_key: UPSTREAM_KEYS.plain },
        {
          name: "keyed-header",
          type: "openai",
          base_url: `${url}v1`,
          headers: { "api-key": UPSTREAM_KEYS.header },
        },
        { name: "keyed-groq", type: "openai", base_url: `${url}v1`, api_key: UPSTREAM_KEYS.groq },
      ])(keyQuoterAt(own(keyQuoter()))),
      ...(({ url }) => [{ name: "llamacpp-old", type: "openai", base_url: `${url}v1` }])(
        own(llamaCppBefore2025()),
      ),
    ],
    models: [
      { name: "fastapi", routes: [{ provider: "self-hosted", model: "fastapi-422" }] },
      { name: "llamacpp-mid", routes: [{ provider: "llamacpp-old", model: "mid" }] },
      { name: "llamacpp-first", routes: [{ provider: "llamacpp-old", model: "first" }] },
      { name: "quotes-key", routes: [{ provider: "keyed", model: "quote" }] },
      { name: "quotes-key-500", routes: [{ provider: "keyed", model: "quote-500" }] },
      { name: "quotes-header", routes: [{ provider: "keyed-header", model: "quote" }] },
      { name: "quotes-groq", routes: [{ provider: "keyed-groq", model: "quote-500" }] },
      { name: "tgi", routes: [{ provider: "self-hosted", model: "tgi-422" }] },
      { name: "sglang", routes: [{ provider: "self-hosted", model: "sglang-400" }] },
      { name: "xai", routes: [{ provider: "self-hosted", model: "xai-400" }] },
      { name: "dashscope", routes: [{ provider: "self-hosted", model: "dashscope-400" }] },
      { name: "vllm-messages", routes: [{ provider: "an-vendor", model: "vllm-messages-400" }] },
      { name: "vllm-listing", routes: [{ provider: "self-hosted", model: "vllm-listing-400" }] },
      { name: "sglang-listing", routes: [{ provider: "self-hosted", model: "sglang-listing-400" }] },
      {
        name: "vllm-messages-listing",
        fallback_on: ["context_length"],
        routes: [
          { provider: "an-vendor", model: "vllm-messages-listing-400" },
          { provider: "an", model: "up-a" },
        ],
      },
      { name: "org-limited", routes: [{ provider: "self-hosted", model: "org-429" }] },
      { name: "org-in-200", routes: [{ provider: "self-hosted", model: "org-in-200" }] },
      { name: "an-limited", routes: [{ provider: "an-vendor", model: "anthropic-429" }] },
      { name: "gm-limited", routes: [{ provider: "gm-vendor", model: "gemini-429" }] },
      { name: "gm-daily", routes: [{ provider: "gm-vendor", model: "gemini-daily" }] },
      {
        name: "tgi-then-o",
        fallback_on: ["context_length"],
        routes: [
          { provider: "self-hosted", model: "tgi-422" },
          { provider: "oa", model: "up-o" },
        ],
      },
      { name: "o-html", routes: [{ provider: "oa-proxy", model: "html" }] },
      { name: "o-empty", routes: [{ provider: "oa-proxy", model: "empty" }] },
      { name: "a-html", routes: [{ provider: "an-proxy", model: "html" }] },
      { name: "a-empty", routes: [{ provider: "an-proxy", model: "empty" }] },
      { name: "o", routes: [{ provider: "oa", model: "up-o" }] },
      // The gateway's account or route refused, then a route that serves; or that route alone.
      {
        name: "credit-then-a",
        routes: [
          { provider: "an-vendor", model: "credit" },
          { provider: "an", model: "up-a" },
        ],
      },
      {
        name: "gone-then-o",
        routes: [
          { provider: "oa-vendor", model: "gone" },
          { provider: "oa", model: "up-o" },
        ],
      },
      {
        name: "item-gone-then-o",
        routes: [
          { provider: "oa-vendor", model: "item-gone" },
          { provider: "oa", model: "up-o" },
        ],
      },
      { name: "failed-response", routes: [{ provider: "oa-responses", model: "failed-response" }] },
      {
        name: "failed-response-then-o",
        routes: [
          { provider: "oa-responses", model: "failed-response" },
          { provider: "oa", model: "up-o" },
        ],
      },
      { name: "no-count", routes: [{ provider: "an-vendor", model: "no-count" }] },
      { name: "file-gone", routes: [{ provider: "an-vendor", model: "file-gone" }] },
      { name: "quota", routes: [{ provider: "oa-vendor", model: "quota" }] },
      { name: "billing-inactive", routes: [{ provider: "oa-vendor", model: "billing-inactive" }] },
      { name: "kimi-quota", routes: [{ provider: "oa-vendor", model: "kimi-quota" }] },
      { name: "gone", routes: [{ provider: "oa-vendor", model: "gone" }] },
      { name: "daily", routes: [{ provider: "oa-vendor", model: "daily" }] },
      { name: "daily-words", routes: [{ provider: "oa-vendor", model: "daily-words" }] },
      { name: "openrouter-daily", routes: [{ provider: "oa-vendor", model: "openrouter-daily" }] },
      { name: "leaky", routes: [{ provider: "oa-vendor", model: "leaky-500" }] },
      { name: "ms-only", routes: [{ provider: "oa-vendor", model: "ms-only" }] },
      // An OpenAI reasoning model, which refuses `max_tokens` (the fake does as OpenAI does).
      { name: "gpt-5.4", routes: [{ provider: "oa", model: "gpt-5.4" }] },
      { name: "a", routes: [{ provider: "an", model: "up-a" }] },
      // A Claude 4.5 model, which takes temperature or top_p, not both (the fake does as it does).
      { name: "sonnet", routes: [{ provider: "an", model: "claude-sonnet-4-5" }] },
      // A window too small for any prompt: the gateway refuses before trying the route.
      { name: "tiny", routes: [{ provider: "oa", model: "up-o", context_window: 30 }] },
      { name: "small-window", routes: [{ provider: "oa", model: "up-o", context_window: 2000 }] },
      // Failover across dialects, both ways: the caller sees the last route's answer.
      {
        name: "oa-then-an",
        routes: [
          { provider: "oa", model: "up-o" },
          { provider: "an", model: "up-a" },
        ],
      },
      {
        name: "an-then-oa",
        routes: [
          { provider: "an", model: "up-a" },
          { provider: "oa", model: "up-o" },
        ],
      },
    ],
    // Many upstream failures in a row here, and none may take a route out.
    routing: { retries: 0, circuit_breaker: { failures: 1000 } },
  }),
});

beforeAll(async () => {
  gw = fx.gw;
  ({ key } = await createKey(gw, { name: "errors" }));
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
});

const chat = (model: string, text: string) =>
  openai.chat.completions
    .create({ model, messages: [{ role: "user", content: text }] })
    .catch((e: unknown) => e);
const messages = (model: string, text: string) =>
  anthropic.messages
    .create({ model, max_tokens: 20, messages: [{ role: "user", content: text }] })
    .catch((e: unknown) => e);
const responses = (model: string, text: string) =>
  openai.responses.create({ model, input: text }).catch((e: unknown) => e);

describe("a 429 stays a 429 with Retry-After, retry-after-ms and x-should-retry (both SDKs read all three)", () => {
  const LIMITED = "x [[fake:status=429,retry-after=7,retry-after-ms=6500,should-retry=true]]";
  const retryHeaders = (headers: Headers | undefined) =>
    ["retry-after", "retry-after-ms", "x-should-retry"].map((name) => headers?.get(name));

  test.each([
    ["OpenAI chat → OpenAI upstream", () => chat("o", LIMITED)],
    ["OpenAI chat → Anthropic upstream", () => chat("a", LIMITED)],
    ["Responses → Anthropic upstream", () => responses("a", LIMITED)],
  ])("%s", async (_, call) => {
    const error = (await call()) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(retryHeaders(error.headers)).toEqual(["7", "6500", "true"]);
    expect(error.code).toBe("rate_limit_exceeded");
  });

  test.each([
    ["Anthropic → Anthropic upstream", "a"],
    ["Anthropic → OpenAI upstream", "o"],
  ])("%s", async (_, model) => {
    const error = (await messages(model, LIMITED)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(retryHeaders(error.headers)).toEqual(["7", "6500", "true"]);
    expect(error.error).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  });
});

describe("context_length_exceeded keeps its meaning", () => {
  test.each([
    ["OpenAI chat → OpenAI upstream", () => chat("o", "x [[fake:context-length]]"), "messages"],
    ["OpenAI chat → Anthropic upstream", () => chat("a", "x [[fake:context-length]]"), "messages"],
    // A Responses caller's conversation is its `input`: it sent no `messages`.
    ["Responses → OpenAI upstream", () => responses("o", "x [[fake:context-length]]"), "input"],
    ["Responses → Anthropic upstream", () => responses("a", "x [[fake:context-length]]"), "input"],
  ])("%s: 400, code context_length_exceeded, param the caller's conversation", async (_, call, param) => {
    const error = (await call()) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.code, error.param]).toEqual(["context_length_exceeded", param]);
  });

  test.each([
    ["Anthropic → Anthropic upstream", "a", "prompt is too long: 200000 tokens > 128000 maximum"],
    ["Anthropic → OpenAI upstream", "o", "prompt is too long: 200000 tokens > 128000 maximum"],
  ])(
    "%s: 400 invalid_request_error in Anthropic's words (Claude Code compacts on them)",
    async (_, model, words) => {
      const error = (await messages(model, "x [[fake:context-length]]")) as InstanceType<
        typeof Anthropic.APIError
      >;
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      // The Anthropic upstream's body is relayed as it came; the gateway's own names its request.
      expect(error.error).toEqual({
        type: "error",
        error: { type: "invalid_request_error", message: words },
        ...(model === "o" ? { request_id: expect.stringMatching(/^req_/) } : {}),
      });
    },
  );

  test("TGI's 422: OpenAI's code and param, Anthropic's max_tokens words (Claude Code asks for less), both a 400; fallback_on context_length fails over", async () => {
    const tgiWords =
      "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`";
    const openaiError = (await chat("tgi", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    expect([openaiError.code, openaiError.param, openaiError.message]).toEqual([
      "context_length_exceeded",
      "messages",
      `400 ${tgiWords}`,
    ]);
    const anthropicError = (await messages("tgi", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 4000 + 500 > 4096, decrease input length or `max_tokens` and try again",
      },
      request_id: expect.stringMatching(/^req_/),
    });
    const row = await auditRow(gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
    const { data, response } = await openai.chat.completions
      .create({ model: "tgi-then-o", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeString();
    const served = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect(served.attempts?.map((a) => [a.outcome, a.status])).toEqual([
      ["failed", 422],
      ["ok", null],
    ]);
  });

  test.each([
    ["SGLang's (Together AI's words too)", "sglang", "prompt is too long: 61709 tokens > 40960 maximum"],
    ["xAI's", "xai", "prompt is too long: 149617 tokens > 131072 maximum"],
    // No prompt count given: the words follow Anthropic's.
    ["Alibaba's (DashScope)", "dashscope", "prompt is too long: range of input length should be [1, 129024]"],
  ])(
    "%s words: OpenAI's code and param, Anthropic's `prompt is too long` (Claude Code compacts), audited as context_length_exceeded",
    async (_, model, words) => {
      const openaiError = (await chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
      expect([openaiError.code, openaiError.param]).toEqual(["context_length_exceeded", "messages"]);
      const responsesError = (await responses(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect([responsesError.status, responsesError.code, responsesError.param]).toEqual([
        400,
        "context_length_exceeded",
        "input",
      ]);
      const anthropicError = (await messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect(anthropicError.error).toEqual({
        type: "error",
        error: {
          type: "invalid_request_error",
          message: words,
        },
        request_id: expect.stringMatching(/^req_/),
      });
      const row = await auditRow(gw, anthropicError.headers?.get("request-id") ?? "");
      expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
    },
  );

  test("vLLM's Messages endpoint, its words in Anthropic's shape: Anthropic's words to a Messages caller (Claude Code acts on them), OpenAI's code to a chat caller, audited as context_length_exceeded", async () => {
    const anthropicError = (await messages("vllm-messages", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 9591 + 10000 > 16384, decrease input length or `max_tokens` and try again",
      },
      request_id: expect.stringMatching(/^req_/),
    });
    const row = await auditRow(gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "context_length_exceeded"]);
    const openaiError = (await chat("vllm-messages", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([openaiError.status, openaiError.code, openaiError.param]).toEqual([
      400,
      "context_length_exceeded",
      "messages",
    ]);
  });

  test.each([
    ["vLLM's (FastAPI's listing)", "vllm-listing"],
    ["SGLang's (FastAPI's entries alone)", "sglang-listing"],
  ])(
    "%s validation 400 quoting a prompt that speaks of context lengths is the caller's plain 400, not a context refusal",
    async (_, model) => {
      const openaiError = (await chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
      expect(openaiError.code).not.toBe("context_length_exceeded");
      const anthropicError = (await messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
      expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
      expect(anthropicError.error).toMatchObject({ error: { type: "invalid_request_error" } });
      expect(anthropicError.message).not.toContain("prompt is too long:");
      const row = await auditRow(gw, anthropicError.headers?.get("request-id") ?? "");
      expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
    },
  );

  test("vLLM's Messages endpoint's validation 400 quoting a prompt that says `prompt is too long`: relayed as sent (Claude Code does not compact), no failover on context_length, audited invalid_request", async () => {
    const anthropicError = (await messages("vllm-messages-listing", "x")) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect(anthropicError.error).toMatchObject({
      type: "error",
      error: { type: "BadRequestError", message: expect.stringMatching(/^1 validation error for /) },
    });
    const row = await auditRow(gw, anthropicError.headers?.get("request-id") ?? "");
    expect([row.status, row.errorClass]).toEqual([400, "invalid_request"]);
    expect(row.attempts?.map((a) => a.outcome)).toEqual(["failed"]);
  });

  test("the gateway's own refusal (no route's window fits): Anthropic's words, OpenAI's code", async () => {
    const long = "many words ".repeat(100);
    const anthropicError = (await messages("tiny", long)) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    // The estimate's numbers: 1,104 characters (the role's included), four a token.
    expect(anthropicError.error).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "prompt is too long: 276 tokens > 30 maximum" },
      request_id: expect.stringMatching(/^req_/),
    });
    // A prompt that fits with an answer that does not: Anthropic's own words for that, on which
    // Claude Code asks again for a shorter answer.
    const answerTooLong = await anthropic.messages
      .create({ model: "tiny", max_tokens: 1000, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
    expect(answerTooLong).toBeInstanceOf(Anthropic.BadRequestError);
    expect((answerTooLong as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message:
          "input length and `max_tokens` exceed context limit: 2 + 1000 > 30, decrease input length or `max_tokens` and try again",
      },
      request_id: expect.stringMatching(/^req_/),
    });
    const openaiError = (await chat("tiny", long)) as InstanceType<typeof OpenAI.APIError>;
    expect([openaiError.status, openaiError.code, openaiError.param]).toEqual([
      400,
      "context_length_exceeded",
      "messages",
    ]);
    expect(openaiError.message).toContain("This model's maximum context length is 30 tokens");
  });

  test("the model's own reasoning handed back is no prompt to the window: OpenRouter's reasoning_details and Gemini's thought signatures count nothing; the same length of text is refused", async () => {
    // 16 KB of base64 each, some 4,000 tokens were it text, against a window of 2,000.
    const signature = "CiIBVKhc7oXs/w+".repeat(1100);
    const id = `call_1__ts_${signature.replaceAll("+", "-").replaceAll("/", "_")}`;
    const conversation = (said: string) => [
      { role: "user", content: "weather in Paris?" },
      {
        role: "assistant",
        content: "",
        reasoning_details: [
          { type: "reasoning.encrypted", data: signature, format: "google-gemini-v1", index: 0 },
          { type: "reasoning.text", text: "", signature, format: "anthropic-claude-v1", index: 1 },
        ],
        tool_calls: [
          {
            id,
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            extra_content: { google: { thought_signature: signature } },
          },
        ],
      },
      { role: "tool", tool_call_id: id, content: "sunny" },
      { role: "user", content: said },
    ];
    const ask = (said: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "small-window", messages: conversation(said) }),
      });
    const served = await ask("thanks");
    expect(served.status).toBe(200);
    const refused = await ask(signature);
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
      400,
      "context_length_exceeded",
    ]);
  });
});

describe("a refusal the translation must not cause", () => {
  test("Anthropic → an OpenAI reasoning model: max_tokens goes as max_completion_tokens, which it takes", async () => {
    const message = await anthropic.messages.create({
      model: "gpt-5.4",
      max_tokens: 1024,
      messages: [{ role: "user", content: "reason briefly" }],
    });
    expect(message.content).toEqual([
      expect.objectContaining({ type: "text", text: "echo: reason briefly" }),
    ]);
    const sent = fx.fake.requests.at(-1)?.body as Record<string, unknown>;
    expect([sent.model, sent.max_completion_tokens, sent.max_tokens]).toEqual(["gpt-5.4", 1024, undefined]);
  });
});

describe("what Anthropic always refuses of an OpenAI caller's request", () => {
  test("chat → Anthropic: a blank stop sequence is left out and named, a schema without a type is given object's: served, where Anthropic refused both", async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: "a",
        messages: [{ role: "user", content: "hi" }],
        stop: ["\n\n", "END", ""],
        tools: [{ type: "function", function: { name: "now", parameters: {} } }],
      })
      .withResponse();
    // The fake's model calls the one tool it is given.
    const [call] = data.choices[0]?.message.tool_calls ?? [];
    expect(call?.type === "function" ? call.function.name : undefined).toBe("now");
    expect(response.headers.get("x-mindgw-dropped")).toBe("stop (blank)");
    const sent = fx.fake.requests.at(-1)?.body as Record<string, unknown>;
    expect([sent.stop_sequences, sent.tools]).toEqual([
      ["END"],
      [{ name: "now", input_schema: { type: "object" } }],
    ]);
  });
});

describe("temperature and top_p together, which OpenAI callers send and Claude 4.5 models refuse", () => {
  const sampling = (from: number) =>
    fx.fake.requests.slice(from).map((r) => {
      const body = r.body as Record<string, unknown>;
      return [body.temperature, body.top_p];
    });

  test("top_p 1 asks nothing: not sent beside a temperature, one call, nothing named", async () => {
    const from = fx.fake.requests.length;
    const { data, response } = await openai.chat.completions
      .create({ model: "sonnet", messages: [{ role: "user", content: "hi" }], temperature: 0.7, top_p: 1 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("echo: hi");
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    expect(sampling(from)).toEqual([[0.7, undefined]]);
  });

  test("another top_p: refused, sent again without it and named top_p, chat and Responses alike", async () => {
    const from = fx.fake.requests.length;
    const chat = await openai.chat.completions
      .create({ model: "sonnet", messages: [{ role: "user", content: "hi" }], temperature: 0.7, top_p: 0.9 })
      .withResponse();
    expect(chat.data.choices[0]?.message.content).toBe("echo: hi");
    expect(chat.response.headers.get("x-mindgw-dropped")).toBe("top_p");
    const responses = await openai.responses
      .create({ model: "sonnet", input: "hi", temperature: 0.2, top_p: 0.5 })
      .withResponse();
    expect(responses.data.output_text).toBe("echo: hi");
    expect(responses.response.headers.get("x-mindgw-dropped")).toBe("top_p");
    expect(sampling(from)).toEqual([
      [0.7, 0.9],
      [0.7, undefined],
      [0.2, 0.5],
      [0.2, undefined],
    ]);
  });
});

describe("4xx bodies", () => {
  test("same dialect: the upstream's body as sent; across dialects: mapped, message kept", async () => {
    const same = (await chat("o", "x [[fake:status=422]]")) as InstanceType<typeof OpenAI.APIError>;
    expect(same.status).toBe(422);
    expect(same.error).toEqual({
      message: "fake upstream: status 422 on request",
      type: "invalid_request_error",
      param: null,
      code: null,
    });
    const across = (await messages("o", "x [[fake:status=400]]")) as InstanceType<typeof Anthropic.APIError>;
    expect(across.status).toBe(400);
    expect(across.error).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "fake upstream: status 400 on request" },
      request_id: expect.stringMatching(/^req_/),
    });
  });
});

describe("a body in another server's shape than OpenAI's", () => {
  test("FastAPI's 422 (LlamaFactory): its field as the param and in the message, for both dialects and the audit row", async () => {
    const words = "messages.0.role: Input should be 'system', 'user', 'assistant' or 'tool'";
    const error = (await chat("fastapi", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect([error.message, error.param, error.type]).toEqual([
      `422 ${words}`,
      "messages.0.role",
      "invalid_request_error",
    ]);
    const row = await auditRow(gw, error.headers?.get("x-request-id") ?? "");
    expect([row.status, row.errorMessage]).toEqual([422, words]);
    const across = (await messages("fastapi", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect([across.status, across.error]).toEqual([
      422,
      {
        type: "error",
        error: { type: "invalid_request_error", message: words },
        request_id: expect.stringMatching(/^req_/),
      },
    ]);
  });
});

describe("the gateway's upstream account stays the operator's", () => {
  const ACCOUNT = "(the gateway's upstream account)";
  const ORG = "org-uOtiSEwvUnroadaOnJJquBEC";
  /** A quoted field of a text log line (`reason="…"`), as the line writes it: a JSON string. */
  const textField = (line: string, name: string): unknown => {
    const quoted = new RegExp(` ${name}=("(?:[^"\\\\]|\\\\.)*")`).exec(line)?.[1];
    return quoted === undefined ? undefined : JSON.parse(quoted);
  };
  /** The request's line of `msg` (`request`: its access line; `route failed`), once written. */
  const lineOf = (msg: string, requestId: string) =>
    waitFor(`${requestId}'s ${msg} line`, () =>
      gw.stderr.all.split("\n").find((line) => line.includes(` ${msg} request_id=${requestId} `)),
    );
  const accessLine = (requestId: string) => lineOf("request", requestId);

  test("OpenAI's 429 naming the organization, to an OpenAI caller: its body but for the org id; the audit row alike; the log keeps it", async () => {
    const error = (await chat("org-limited", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const told = `Rate limit reached for gpt-4o in organization ${ACCOUNT} on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms.`;
    expect(error.error).toEqual({ message: told, type: "tokens", param: null, code: "rate_limit_exceeded" });
    const requestId = error.headers?.get("x-request-id") ?? "";
    expect((await auditRow(gw, requestId)).errorMessage).toBe(told);
    // The operator's access line (at warn) keeps the upstream's own words as its detail.
    const line = await accessLine(requestId);
    expect([textField(line, "reason"), textField(line, "detail")]).toEqual([
      told,
      told.replace(ACCOUNT, ORG),
    ]);
    // The attempt's own line (a 429 another try may mend) reads as the access line does.
    const failed = await lineOf("route failed", requestId);
    expect([textField(failed, "reason"), textField(failed, "detail")]).toEqual([
      told,
      told.replace(ACCOUNT, ORG),
    ]);
  });

  test("an error in a 200 answer naming the organization and OpenAI's request id, to both dialects: the upstream's words, scrubbed, the audit row alike; the log keeps them, saying how they came", async () => {
    const told = `Rate limit reached for gpt-4o in organization ${ACCOUNT} on tokens per min (TPM). (Please include the request ID (the upstream's request id) in your message.)`;
    const error = (await chat("org-in-200", "x")) as InstanceType<typeof OpenAI.APIError>;
    // A rate limit by its code, as its 429 is.
    expect([error.status, error.code, (error.error as { message: string }).message]).toEqual([
      429,
      "rate_limit_exceeded",
      told,
    ]);
    const across = (await messages("org-in-200", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect([across.status, across.error]).toEqual([
      429,
      {
        type: "error",
        error: { type: "rate_limit_error", message: told },
        request_id: expect.stringMatching(/^req_/),
      },
    ]);
    const requestId = error.headers?.get("x-request-id") ?? "";
    expect((await auditRow(gw, requestId)).errorMessage).toBe(told);
    // The access line says what the client was told as its reason, the upstream's words (the org
    // id, OpenAI's request id) as its detail only.
    const kept = `upstream self-hosted answered 200 with an error: Rate limit reached for gpt-4o in organization ${ORG} on tokens per min (TPM). (Please include the request ID req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c in your message.)`;
    const line = await accessLine(requestId);
    expect([textField(line, "reason"), textField(line, "detail")]).toEqual([told, kept]);
    const failed = await lineOf("route failed", requestId);
    expect([textField(failed, "reason"), textField(failed, "detail")]).toEqual([told, kept]);
  });

  test("Anthropic's 429 naming the organization's UUID, to both dialects: scrubbed, Anthropic's request_id the gateway's", async () => {
    const told = `This request would exceed the rate limit for your organization ${ACCOUNT} of 40,000 input tokens per minute.`;
    const same = (await messages("an-limited", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(same).toBeInstanceOf(Anthropic.RateLimitError);
    // The body's request_id and the one the SDK reports (its header) are the gateway's, which
    // names this call in its audit log.
    expect(same.error).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: told },
      request_id: same.requestID,
    });
    expect((await auditRow(gw, same.requestID ?? "")).errorMessage).toBe(told);
    const across = (await chat("an-limited", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(across).toBeInstanceOf(OpenAI.RateLimitError);
    expect([across.error, across.code]).toEqual([
      expect.objectContaining({ message: told }),
      "rate_limit_exceeded",
    ]);
  });

  test("Google's quota naming the project number, to both dialects", async () => {
    const told = `Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'aiplatform.googleapis.com' for consumer '${ACCOUNT}'.`;
    const openaiError = (await chat("gm-limited", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect((openaiError.error as { message: string }).message).toBe(told);
    const anthropicError = (await messages("gm-limited", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError.error).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: told },
      request_id: expect.stringMatching(/^req_/),
    });
    expect((await auditRow(gw, anthropicError.requestID ?? "")).errorMessage).toBe(told);
  });
});

describe("the gateway's own upstream credentials never leave it, whatever an upstream quotes of them", () => {
  const lineOf = (msg: string, requestId: string) =>
    waitFor(`${requestId}'s ${msg} line`, () =>
      gw.stderr.all.split("\n").find((line) => line.includes(` ${msg} request_id=${requestId} `)),
    );
  const post = (path: string, model: string, requestId: string) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "x-request-id": requestId,
      },
      body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: "user", content: "x" }] }),
    });
  /** The caller's answer, the audit row, the access line and the attempt's line: none holds `secret`. */
  async function expectNowhere(
    secret: string,
    path: string,
    model: string,
    requestId: string,
    status: number,
  ) {
    const response = await post(path, model, requestId);
    const told = await response.text();
    expect([model, response.status]).toEqual([model, status]);
    expect(told).not.toContain(secret);
    expect(told).toContain("Invalid request for key [redacted]");
    const row = await auditRow(gw, requestId);
    expect(row.errorMessage).toBe("Invalid request for key [redacted]");
    expect(await lineOf("request", requestId)).not.toContain(secret);
    // A 5xx another try may mend has its own line.
    if (status >= 500) expect(await lineOf("route failed", requestId)).not.toContain(secret);
  }

  test.each([
    [
      "a key of no known shape, in a 400, relayed to a chat caller",
      UPSTREAM_KEYS.plain,
      "/v1/chat/completions",
      "quotes-key",
      400,
    ],
    ["the same, translated for a messages caller", UPSTREAM_KEYS.plain, "/v1/messages", "quotes-key", 400],
    ["the same in a 500", UPSTREAM_KEYS.plain, "/v1/chat/completions", "quotes-key-500", 500],
    ["a provider's api-key header", UPSTREAM_KEYS.header, "/v1/chat/completions", "quotes-header", 400],
    ["Groq's gsk_ key in a 500", UPSTREAM_KEYS.groq, "/v1/chat/completions", "quotes-groq", 500],
  ])("%s", async (_, secret, path, model, status) => {
    await expectNowhere(secret, path, model, `quoted-${model}-${path.length}`, status);
  });

  test("a worker's --upstream-key, quoted by its model server, reaches neither the caller nor the gateway's log", async () => {
    const { key: token } = await createKey(gw, { name: "quoting-worker", role: "worker", models: ["*"] });
    const worker = fx.own(
      spawnWorker({
        gateway: gw.url,
        token,
        upstream: `${keyQuoterUrl()}v1`,
        name: "quoting-worker",
        models: ["w-quote"],
        args: ["--upstream-key", UPSTREAM_KEYS.worker],
      }),
    );
    await waitForWorkers(gw.url, gw.adminKey ?? "", ["quoting-worker"]);
    const response = await post("/v1/chat/completions", "w-quote", "quoted-by-worker");
    const told = await response.text();
    expect(response.status).toBe(400);
    expect(told).not.toContain(UPSTREAM_KEYS.worker);
    expect(told).toContain("Invalid request for key [redacted]");
    expect((await auditRow(gw, "quoted-by-worker")).errorMessage).toBe("Invalid request for key [redacted]");
    expect((await lineOf("request", "quoted-by-worker")).includes(UPSTREAM_KEYS.worker)).toBe(false);
    await worker.stop();
    expect(worker.stderr.all).not.toContain(UPSTREAM_KEYS.worker);
  });
});

describe("a refusal of the gateway itself (its account, its route's model) is the route's, never the caller's", () => {
  test("Anthropic's credit balance too low: the next route serves at once, the refused one asked once", async () => {
    vendorCalls.clear();
    const message = await anthropic.messages.create({
      model: "credit-then-a",
      max_tokens: 20,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "echo: hi" })]);
    expect(vendorCalls.get("credit")).toBe(1);
  });

  test.each([
    ["insufficient_quota", "quota"],
    ["billing_not_active", "billing-inactive"],
    ["(Moonshot's) exceeded_current_quota_error", "kimi-quota"],
  ])(
    "OpenAI's %s on the only route: a 502 in the gateway's words, which the SDK does not retry; the audit keeps the 429",
    async (_, model) => {
      vendorCalls.clear();
      // The SDK's own retries on: `x-should-retry: false` keeps it from sending the call again.
      const retrying = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 2 });
      const error = (await retrying.chat.completions
        .create({ model, messages: [{ role: "user", content: "x" }] })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(error).toBeInstanceOf(OpenAI.InternalServerError);
      expect([error.status, error.code, error.message]).toEqual([
        502,
        "upstream_account",
        "502 upstream oa-vendor refused the gateway's account (billing or quota)",
      ]);
      expect(error.headers?.get("x-should-retry")).toBe("false");
      expect(vendorCalls.get(model)).toBe(1);
      const row = await auditRow(gw, error.requestID ?? "");
      expect([row.status, row.errorClass, row.attempts?.map((a) => [a.status, a.errorClass])]).toEqual([
        502,
        "upstream_account",
        [[429, "upstream_account"]],
      ]);
    },
  );

  test("the route's model unknown upstream (404): failed over; alone, a 502 that names no model the caller never sent", async () => {
    const served = await openai.chat.completions.create({
      model: "gone-then-o",
      messages: [{ role: "user", content: "x" }],
    });
    expect(served.choices[0]?.message.content).toBeString();
    const error = (await chat("gone", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, error.code]).toEqual([502, "upstream_error"]);
    expect(error.message).toBe(
      "502 upstream oa-vendor answered 404: the route's model or URL is not found there",
    );
  });

  test("a 404 about the caller's own request (OpenAI's item not found) is the caller's, as sent: no failover", async () => {
    vendorCalls.clear();
    const error = (await chat("item-gone-then-o", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect([error.status, error.param, error.code]).toEqual([404, "input", null]);
    expect(error.message).toStartWith("404 Item with id 'rs_0a1b2c3d' not found.");
    expect(vendorCalls.get("item-gone")).toBe(1);
  });

  test("Anthropic's 404 about a file, to an OpenAI caller: a plain not-found in OpenAI's shape, not model_not_found; to an Anthropic caller as sent", async () => {
    const error = (await chat("file-gone", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect([error.status, error.code, error.type]).toEqual([404, "not_found", "invalid_request_error"]);
    expect(error.message).toBe("404 File not found: file_011CNha8iCJcU1wXNR6q4V8w");
    const same = (await messages("file-gone", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(same).toBeInstanceOf(Anthropic.NotFoundError);
    expect(same.error).toEqual({
      type: "error",
      error: { type: "not_found_error", message: "File not found: file_011CNha8iCJcU1wXNR6q4V8w" },
    });
  });

  test("a count_tokens the route's server answers 404 (no count endpoint): the gateway's estimate, not a 404", async () => {
    vendorCalls.clear();
    const counted = await anthropic.messages.countTokens({
      model: "no-count",
      messages: [{ role: "user", content: "count these four words" }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(vendorCalls.get("no-count")).toBe(1);
  });

  test("OpenAI's daily limit, said only in x-ratelimit-reset-requests: one call, and the caller's 429 says when, and not to retry at once", async () => {
    vendorCalls.clear();
    // The SDK's own retries on: it ignores a wait over 60 s and would retry twice at once, each
    // refused; `x-should-retry: false` keeps it from it, and Retry-After says when.
    const retrying = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 2 });
    const error = (await retrying.chat.completions
      .create({ model: "daily", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(
      ["retry-after", "retry-after-ms", "x-should-retry"].map((name) => error.headers?.get(name)),
    ).toEqual(["360", "360000", "false"]);
    expect(vendorCalls.get("daily")).toBe(1);
  });

  test("Gemini's day's quota (QuotaFailure's quotaId …PerDay…), RetryInfo saying 47 s: the caller's 429 says Google's wait and not to retry at once, in both dialects, each asking Google once", async () => {
    vendorCalls.clear();
    const openaiError = (await chat("gm-daily", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect(["retry-after", "x-should-retry"].map((name) => openaiError.headers?.get(name))).toEqual([
      "47",
      "false",
    ]);
    expect((openaiError.error as { message: string }).message).toContain("limit: 50");
    const anthropicError = (await messages("gm-daily", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect(anthropicError.headers?.get("x-should-retry")).toBe("false");
    expect(vendorCalls.get("gemini-daily")).toBe(2);
  });

  test.each([
    ["OpenAI's", "daily-words"],
    ["OpenRouter's free models'", "openrouter-daily"],
  ])(
    "%s daily limit said in its words alone (no wait in any header): one call, and the caller's 429 says not to retry at once",
    async (_, model) => {
      vendorCalls.clear();
      // Judged by its words: a throttle would be the SDK's to retry (twice here, each refused).
      const retrying = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 2 });
      const error = (await retrying.chat.completions
        .create({ model, messages: [{ role: "user", content: "x" }] })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(["retry-after", "x-should-retry"].map((name) => error.headers?.get(name))).toEqual([
        "1",
        "false",
      ]);
      expect(vendorCalls.get(model)).toBe(1);
    },
  );
});

describe("5xx: verbatim to a same-dialect caller once no route is left", () => {
  const OPENAI_CALL = { path: "/v1/chat/completions", body: { messages: [{ role: "user", content: "x" }] } };
  const ANTHROPIC_CALL = {
    path: "/v1/messages",
    body: { max_tokens: 8, messages: [{ role: "user", content: "x" }] },
  };
  const post = (base: string, call: typeof OPENAI_CALL, model: string) =>
    fetch(`${base}${call.path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({ ...call.body, model }),
    });

  test.each([
    ["OpenAI → OpenAI upstream", OPENAI_CALL, "o", "up-o", 503],
    ["Anthropic → Anthropic upstream", ANTHROPIC_CALL, "a", "up-a", 529],
  ])(
    "%s: the upstream's status, body and Retry-After; the audit row keeps the status",
    async (_, call, model, upModel, status) => {
      // What the upstream itself answers, to compare byte for byte.
      fx.fake.enqueue({ status, retryAfter: 3 });
      const direct = await post(fx.fake.url, call, upModel);
      const expected = await direct.text();
      expect(direct.status).toBe(status);
      fx.fake.enqueue({ status, retryAfter: 3, retryAfterMs: 2500, shouldRetry: "false" });
      const response = await post(gw.url, call, model);
      expect(response.status).toBe(status);
      expect(await response.text()).toBe(expected);
      expect(response.headers.get("retry-after")).toBe("3");
      expect(response.headers.get("retry-after-ms")).toBe("2500");
      expect(response.headers.get("x-should-retry")).toBe("false");
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect(row.status).toBe(status);
    },
  );

  test("a 5xx whose body is no error at all (a proxy's HTML page, nothing): its status and Retry-After kept for a same-dialect caller, in the gateway's words; a 502 across dialects", async () => {
    for (const [call, model, shape] of [
      [OPENAI_CALL, "o-html", { error: { type: "server_error", code: "upstream_error" } }],
      [OPENAI_CALL, "o-empty", { error: { type: "server_error", code: "upstream_error" } }],
      [ANTHROPIC_CALL, "a-html", { type: "error", error: { type: "api_error" } }],
      [ANTHROPIC_CALL, "a-empty", { type: "error", error: { type: "api_error" } }],
    ] as const) {
      const response = await post(gw.url, call, model);
      expect([model, response.status, response.headers.get("retry-after")]).toEqual([model, 503, "9"]);
      expect(await response.json()).toMatchObject(shape);
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect([model, row.status]).toEqual([model, 503]);
    }
    for (const [call, model] of [
      [OPENAI_CALL, "a-html"],
      [ANTHROPIC_CALL, "o-empty"],
    ] as const) {
      const response = await post(gw.url, call, model);
      expect([model, response.status, response.headers.get("retry-after")]).toEqual([model, 502, "9"]);
    }
  });

  test("across dialects: a 502 with the upstream's type mapped; an overload as the caller's own API says one", async () => {
    fx.fake.enqueue({ status: 500 });
    const toAnthropic = (await messages("o", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(toAnthropic.status).toBe(502);
    expect(toAnthropic.error).toMatchObject({ type: "error", error: { type: "api_error" } });
    fx.fake.enqueue({ status: 529 });
    const toOpenAI = (await chat("a", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([toOpenAI.status, toOpenAI.code]).toEqual([503, "server_is_overloaded"]);
  });

  test("a 5xx's words that quote a key, an internal URL or address, or an AWS account reach neither caller nor audit row so, relayed or translated", async () => {
    const said =
      "LiteLLM: call to (a URL) failed (fallback (an address), arn:aws:bedrock:us-east-1:(the gateway's upstream account):model/x)";
    const relayed = await post(gw.url, OPENAI_CALL, "leaky");
    const translated = await post(gw.url, ANTHROPIC_CALL, "leaky");
    expect([relayed.status, await relayed.json()]).toEqual([
      500,
      { error: { message: said, type: "server_error", param: null, code: "internal_error" } },
    ]);
    const told = `upstream oa-vendor answered 500: ${said}`;
    expect([translated.status, await translated.json()]).toEqual([
      502,
      {
        type: "error",
        error: { type: "api_error", message: told },
        request_id: expect.stringMatching(/^req_/),
      },
    ]);
    for (const [response, message] of [
      [relayed, said],
      [translated, told],
    ] as const) {
      const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
      expect(row.errorMessage).toBe(message);
    }
  });

  test("a failover hides the first route's 5xx: the caller sees the last route's answer", async () => {
    fx.fake.enqueue({ status: 500 }, {});
    const served = await openai.chat.completions.create({
      model: "oa-then-an",
      messages: [{ role: "user", content: "x" }],
    });
    expect(served.choices[0]?.message.content).toBeString();
    // Same-dialect first route, translated last route: the last one's failure, mapped.
    fx.fake.enqueue({ status: 503 }, { status: 500 });
    const mapped = (await chat("oa-then-an", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect(mapped.status).toBe(502);
    // Translated first route, same-dialect last route: the last one's body as sent.
    fx.fake.enqueue({ status: 500 }, { status: 503 });
    const verbatim = await post(gw.url, OPENAI_CALL, "an-then-oa");
    expect(verbatim.status).toBe(503);
    expect(await verbatim.json()).toMatchObject({
      error: { message: "fake upstream: status 503 on request" },
    });
  });
});

describe("what translation leaves out is named", () => {
  test("a hosted tool on a chat upstream: x-mindgw-dropped names it; the request is served", async () => {
    const { data, response } = await openai.responses
      .create({ model: "o", input: "hi", tools: [{ type: "web_search" }], reasoning: { summary: "auto" } })
      .withResponse();
    expect(data.status).toBe("completed");
    expect(response.headers.get("x-mindgw-dropped")).toBe("tools.web_search, reasoning.summary");
    const plain = await openai.responses.create({ model: "o", input: "hi" }).withResponse();
    expect(plain.response.headers.get("x-mindgw-dropped")).toBeNull();
  });
});

describe("an effort level the translation added, refused by a model that has none", () => {
  // Codex always sends reasoning.effort and Claude Code output_config.effort; the gateway writes
  // them as the other dialect's field, which Haiku 4.5 and gpt-4.1 refuse (the fake does as they
  // do, `no-effort`). The caller never sent that field and cannot fall back: the gateway does.
  const sent = (from: number) => fx.fake.requests.slice(from).map((r) => r.body as Record<string, unknown>);

  test("Responses (Codex) → Anthropic: served without output_config.effort, named reasoning.effort", async () => {
    const from = fx.fake.requests.length;
    const { data, response } = await openai.responses
      .create({ model: "a", input: "hi [[fake:no-effort]]", reasoning: { effort: "low" } })
      .withResponse();
    expect(data.status).toBe("completed");
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning.effort");
    const [refused, served] = sent(from);
    expect(refused?.output_config).toEqual({ effort: "low" });
    expect(served?.output_config).toBeUndefined();
    const row = await auditRow(gw, response.headers.get("x-request-id") ?? "");
    expect([row.status, row.dropped, row.attempts?.map((a) => [a.outcome, a.status])]).toEqual([
      200,
      "reasoning.effort",
      [
        ["failed", 400],
        ["ok", null],
      ],
    ]);
  });

  test("Anthropic (Claude Code) → a chat upstream: served without reasoning_effort, named output_config.effort", async () => {
    const from = fx.fake.requests.length;
    const { data, response } = await anthropic.messages
      .create({
        model: "o",
        max_tokens: 20,
        output_config: { effort: "high" },
        messages: [{ role: "user", content: "hi [[fake:no-effort]]" }],
      })
      .withResponse();
    expect(data.content).toEqual([expect.objectContaining({ type: "text", text: "echo: hi" })]);
    expect(response.headers.get("x-mindgw-dropped")).toBe("output_config.effort");
    expect(sent(from).map((body) => body.reasoning_effort)).toEqual(["high", undefined]);
  });

  test("the caller's own field is never left out: a chat caller's reasoning_effort refused is its 400", async () => {
    const from = fx.fake.requests.length;
    const error = (await openai.chat.completions
      .create({
        model: "o",
        reasoning_effort: "low",
        messages: [{ role: "user", content: "hi [[fake:no-effort]]" }],
      })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, error.code, error.param]).toEqual([
      400,
      "unsupported_parameter",
      "reasoning_effort",
    ]);
    expect(sent(from)).toHaveLength(1);
  });
});

describe("llama.cpp's `error:` SSE field (its servers before 2025)", () => {
  const said = "llama_decode failed: out of KV cache";

  test("mid-stream: both SDKs throw its words where the answer looked whole (no finish, no end_turn); the record says the 500 its error stands for, as before the first event", async () => {
    let text = "";
    const stream = await openai.chat.completions.create({
      model: "llamacpp-mid",
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    const thrown = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    })().catch((e: unknown) => e);
    expect(text).toBe("partial answer ");
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toBe(said);
    expect((await auditRow(gw, stream._request_id ?? "")).status).toBe(500);
    const across = await anthropic.messages
      .stream({ model: "llamacpp-mid", max_tokens: 20, messages: [{ role: "user", content: "x" }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(across).toBeInstanceOf(Anthropic.APIError);
    expect((across as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: "error",
      error: { type: "api_error", message: said },
    });
  });

  test("as the stream's first event: the call fails in its words, a 500 as sent to an OpenAI caller, a 502 to an Anthropic one, never a 200 with nothing in it", async () => {
    const error = (await openai.chat.completions
      .create({ model: "llamacpp-first", stream: true, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, (error.error as { message: string }).message]).toEqual([500, said]);
    const across = (await anthropic.messages
      .create({
        model: "llamacpp-first",
        max_tokens: 20,
        stream: true,
        messages: [{ role: "user", content: "x" }],
      })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect([across.status, across.error]).toEqual([
      502,
      {
        type: "error",
        error: { type: "api_error", message: said },
        request_id: expect.stringMatching(/^req_/),
      },
    ]);
  });
});

describe("a Responses answer whose response failed", () => {
  test("a 200 whose response has status failed is the route's failure: failed over; alone, a 502 in the upstream's words, nothing charged", async () => {
    vendorCalls.clear();
    const served = await openai.responses.create({ model: "failed-response-then-o", input: "x" });
    expect(served.status).toBe("completed");
    expect(served.output_text).toBe("echo: x");
    expect(vendorCalls.get("failed-response")).toBe(1);
    const error = (await responses("failed-response", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_error",
      "502 The model failed to generate a response.",
    ]);
    const row = await auditRow(gw, error.requestID ?? "");
    expect([
      row.status,
      row.errorClass,
      row.costUsd,
      row.attempts?.map((a) => [a.outcome, a.errorClass]),
    ]).toEqual([502, "upstream_error", 0, [["failed", "upstream_error"]]]);
    const first = await auditRow(gw, served._request_id ?? "");
    expect(first.attempts?.map((a) => [a.route, a.outcome])).toEqual([
      ["provider:oa-responses", "failed"],
      ["provider:oa", "ok"],
    ]);
  });
});

describe("a Responses answer whose response failed for the caller's own prompt", () => {
  const PAST_THE_WINDOW =
    "Your input exceeds the context window of this model. Please adjust your input and try again.";
  const SHORT = "hello";

  /**
   * OpenAI's Responses API answering whole: a response that failed (`status: failed`, a 200) for a
   * conversation past the window, as its stream's `response.failed` says it (openai/codex#4116); a
   * completed one for `SHORT`.
   */
  function windowUpstream() {
    const calls: unknown[] = [];
    const response = { id: "resp_7a8b9c0d", object: "response", created_at: 1, model: "window" };
    const text = { type: "output_text", text: "hi", annotations: [] };
    const message = { type: "message", id: "msg_1", role: "assistant", status: "completed", content: [text] };
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const { input } = (await request.json()) as { input?: unknown };
        calls.push(input);
        if (input === SHORT) {
          const usage = { input_tokens: 1, output_tokens: 1, total_tokens: 2 };
          return Response.json({ ...response, status: "completed", error: null, output: [message], usage });
        }
        const error = { code: "context_length_exceeded", message: PAST_THE_WINDOW };
        return Response.json({ ...response, status: "failed", error, output: [], usage: null });
      },
    });
    return { server, calls };
  }

  test("is the caller's 400 with OpenAI's code each time, sent once, and takes the route from no one: another key is served after more of them than the breaker's threshold", async () => {
    const upstream = windowUpstream();
    fx.deferTest(() => upstream.server.stop(true));
    // The breaker at its default, 5 failures (this file's other routes never open theirs).
    const own = await fx.spawn({
      config: {
        providers: [
          { name: "oa-window", type: "openai", base_url: `${upstream.server.url}v1`, responses_api: true },
        ],
        models: [{ name: "window", routes: [{ provider: "oa-window", model: "window" }] }],
      },
    });
    const client = async (name: string) =>
      new OpenAI({ baseURL: `${own.url}/v1`, apiKey: (await createKey(own, { name })).key, maxRetries: 0 });
    const long = await client("long-conversation");
    for (let i = 0; i < 7; i++) {
      const error = (await long.responses
        .create({ model: "window", input: "a very long conversation" })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      // Its `param` the caller's conversation, `input` (the upstream named none).
      expect([i, error.status, error.code, error.param, error.message]).toEqual([
        i,
        400,
        "context_length_exceeded",
        "input",
        `400 ${PAST_THE_WINDOW}`,
      ]);
      expect((await auditRow(own, error.requestID ?? "")).status).toBe(400);
    }
    // One call each: a refusal no retry can mend is not sent again.
    expect(upstream.calls).toHaveLength(7);
    const served = await (await client("bystander")).responses.create({ model: "window", input: SHORT });
    expect([served.status, served.output_text]).toEqual(["completed", "hi"]);
  });
});
