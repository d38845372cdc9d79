// OpenRouter's own error bodies for the error-fidelity tests (served by error-fidelity-vendors.ts's
// vendorAnswers): its free models' day spent, and its providers' refusals of the gateway's account
// relayed in `metadata.raw` (the context-window ones are error-fidelity-context-vendors.ts's).

import type { VendorAnswer } from "./error-fidelity-vendors.ts";

/**
 * When OpenRouter's free models' day resets in its fake 429 below (ms since the epoch, a whole
 * second): two hours ahead, at any hour. Not the next midnight an hour ahead: from 23:00 UTC that
 * is more than a day away, past the day the gateway caps a told wait at.
 */
export const OPENROUTER_DAY_RESET = Math.ceil((Date.now() + 7_200_000) / 1000) * 1000;

/** OpenRouter's answers, by the upstream model asked for. */
export function openRouterAnswers(): Record<string, VendorAnswer> {
  const dailySpent = {
    error: {
      message:
        "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
      code: 429,
      metadata: {
        headers: {
          "X-RateLimit-Limit": "50",
          "X-RateLimit-Remaining": "0",
          "X-RateLimit-Reset": String(OPENROUTER_DAY_RESET),
        },
        limit_source: "openrouter_free_tier_daily",
      },
    },
    user_id: "user_2x",
  };
  /** What each of its stream's chunks opens with. */
  const chunkHead = {
    id: "gen-1760000000-x",
    object: "chat.completion.chunk",
    created: 1_760_000_000,
    model: "deepseek/deepseek-chat-v3-0324:free",
    provider: "Chutes",
  };
  const openRouterRelay = (provider: string, body: object, code = 429) => ({
    error: {
      message: "Provider returned error",
      code,
      metadata: { raw: JSON.stringify(body), provider_name: provider, is_byok: true },
    },
    user_id: "user_2x",
  });
  return {
    // OpenAI's insufficient_quota and Moonshot's exceeded_current_quota_error relayed by OpenRouter
    // (a BYOK key: the provider's account is the gateway's): its own words generic, the provider's body as JSON text in `metadata.raw`
    // (OpenRouter's error docs), OpenRouter's `code` the HTTP status.
    "openrouter-quota": [
      429,
      openRouterRelay("OpenAI", {
        error: {
          message: "You exceeded your current quota, please check your plan and billing details.",
          type: "insufficient_quota",
          param: null,
          code: "insufficient_quota",
        },
      }),
    ],
    "openrouter-kimi-quota": [
      429,
      openRouterRelay("Moonshot AI", {
        error: {
          message:
            "Your account is suspended due to insufficient balance, please recharge your account or check your plan and billing details",
          type: "exceeded_current_quota_error",
        },
      }),
    ],
    // Anthropic's overload and its unknown model relayed alike, at the status OpenRouter answers a
    // provider that is down (its error docs: 502) and at the provider's 404: its body's type, not
    // the status, says which (Anthropic's bodies as its API sends them).
    "openrouter-overloaded": [
      502,
      openRouterRelay(
        "Anthropic",
        { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
        502,
      ),
    ],
    "openrouter-model-gone": [
      404,
      openRouterRelay(
        "Anthropic",
        { type: "error", error: { type: "not_found_error", message: "model: claude-opus-9" } },
        404,
      ),
    ],
    // OpenRouter's free models' day spent: its reset only in the body's metadata, no header, in
    // ms since the epoch at the next 00:00 UTC (here the next after an hour, so that it is ahead
    // while the tests run); its newer bodies name the limit (`limit_source`). Once a model has
    // begun, OpenRouter answers 200 and says an error in the body or as an SSE data event (its
    // error docs): the same error whole in a 200, and as a stream's chunk (its mid-stream shape,
    // `finish_reason: "error"`).
    "openrouter-daily": [429, dailySpent],
    "openrouter-daily-in-200": [200, dailySpent],
    "openrouter-daily-in-stream": [
      200,
      {
        ...chunkHead,
        error: dailySpent.error,
        choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
      },
      { "content-type": "text/event-stream" },
    ],
    // Its error once the answer has begun, after a token (its error docs' mid-stream shape): its
    // provider gone (OpenRouter's 502: the model is down), the chunk's finish `error`.
    "openrouter-error-mid-stream": [
      200,
      [
        { ...chunkHead, choices: [{ index: 0, delta: { content: "partial answer " }, finish_reason: null }] },
        {
          ...chunkHead,
          error: { code: 502, message: "Provider disconnected" },
          choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
        },
      ],
      { "content-type": "text/event-stream" },
    ],
    // The same for the second of two choices (`n: 2`), after the first finished whole.
    "openrouter-error-after-first-finish": [
      200,
      [
        { ...chunkHead, choices: [{ index: 0, delta: { content: "partial answer " }, finish_reason: null }] },
        { ...chunkHead, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
        { ...chunkHead, choices: [{ index: 1, delta: { content: "other " }, finish_reason: null }] },
        {
          ...chunkHead,
          error: { code: 502, message: "Provider disconnected" },
          choices: [{ index: 1, delta: { content: "" }, finish_reason: "error" }],
        },
      ],
      { "content-type": "text/event-stream" },
    ],
  };
}
