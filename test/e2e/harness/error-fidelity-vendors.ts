// Error bodies as vendors and self-hosted servers send them, for the error-fidelity tests
// (test/e2e/error-fidelity*.test.ts, through errorFidelityFixture).

import { contextWindowAnswers } from "./error-fidelity-context-vendors.ts";
import { noAnswerAnswers } from "./error-fidelity-no-answer-vendors.ts";
import { openRouterAnswers } from "./error-fidelity-openrouter-vendors.ts";

/** Calls each vendor answer below got, by the upstream model it was asked for. */
export const vendorCalls = new Map<string, number>();

/**
 * A vendor's answer: its status, its body and any headers (`text/event-stream`: the body one SSE
 * event, or an array of them, each its own event, in order).
 */
export type VendorAnswer = [number, object, Record<string, string>?];

/**
 * Error bodies as vendors and self-hosted servers send them, by the upstream model asked for (the
 * path's, for Gemini); the context-window refusals are error-fidelity-context-vendors.ts's,
 * OpenRouter's own error-fidelity-openrouter-vendors.ts's, the 200s with no answer in them
 * error-fidelity-no-answer-vendors.ts's.
 * Sources: FastAPI's 422 as LlamaFactory's API sends it (hiyouga/LlamaFactory#2644); OpenAI's 429
 * naming the organization (BuilderIO/micro-agent#86); Anthropic's naming the organization's UUID,
 * with its request_id (bhouston/mycoder#62); Google's quota naming the project
 * (google-gemini/gemini-cli#10925).
 *
 * And a vendor refusing the gateway itself, in its own words: Anthropic's credit balance (a 400:
 * anthropics/claude-code#66314), OpenAI's insufficient_quota (a 429: Pythagora-io/gpt-pilot#340),
 * OpenAI's model_not_found for the route's model (a 404), and OpenAI's daily limit, whose 429 says
 * when in its rate-limit headers alone.
 */
export function vendorAnswers() {
  const openAI = (message: string, type: string, code: string) => ({
    error: { message, type, param: null, code },
  });
  const answers: Record<string, VendorAnswer> = {
    ...contextWindowAnswers(),
    ...openRouterAnswers(),
    ...noAnswerAnswers(),
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
    // xAI's team out of credits or at its spending limit, in its own shape (`{"code","error"}`):
    // a 403 `permission-denied`, or a 429 (continuedev/continue#10373; warpdotdev/warp#14867).
    "xai-credits": [
      403,
      {
        code: "permission-denied",
        error:
          "Your team 1fae4ce5-11f9-413b-a3e6-94bfc6b2cd62 has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.",
      },
    ],
    "xai-credits-429": [
      429,
      {
        code: "Some resource has been exhausted",
        error:
          "Your team 1fae4ce5-11f9-413b-a3e6-94bfc6b2cd62 has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.",
      },
    ],
    // A new xAI team that never bought credits.
    "xai-new-team": [
      403,
      {
        code: "The caller does not have permission to execute the specified operation",
        error:
          "Your newly created team doesn't have any credits or licenses yet. You can purchase those on https://console.x.ai/team/1fae4ce5-11f9-413b-a3e6-94bfc6b2cd62.",
      },
    ],
    // Moonshot's (Kimi's) overload: a 429 whose type says so (MoonshotAI/MoonshotAI-Cookbook#16).
    "kimi-overloaded": [
      429,
      {
        error: {
          message: "The engine is currently overloaded, please try again later",
          type: "engine_overloaded_error",
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
      // An answer said as a stream: the body its one event (or its events), then the end.
      if (headers?.["content-type"] === "text/event-stream") {
        const events = (Array.isArray(body) ? body : [body]).map(
          (event) => `data: ${JSON.stringify(event)}\n\n`,
        );
        return new Response(`${events.join("")}data: [DONE]\n\n`, { status, headers });
      }
      return Response.json(body, { status, headers: headers ?? {} });
    },
  });
}
