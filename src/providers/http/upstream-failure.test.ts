import { describe, expect, test } from "bun:test";
import { readAnthropicError } from "../../core/anthropic-errors.ts";
import { errorBody, toldMessage } from "../../core/error-wire.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { readOpenAIError } from "../../core/openai-errors.ts";
import { fallbackClassOf } from "../../routing/fallback-on.ts";
import { bedrockFailure } from "../bedrock/bedrock-errors.ts";
import { errorInAnswer, googleFailure, statusFailure, upstreamFailure } from "./upstream-failure.ts";

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
  text: JSON.stringify(body),
});
const openAI429 = {
  error: { message: "Rate limit reached", type: "requests", param: null, code: "rate_limit_exceeded" },
};
const openAITooLong = {
  error: {
    message: "This model's maximum context length is 128000 tokens.",
    type: "invalid_request_error",
    param: "messages",
    code: "context_length_exceeded",
  },
};
const anthropicTooLong = {
  type: "error",
  error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" },
};

describe("upstream errors keep their meaning", () => {
  test("every upstream's 429 reaches OpenAI callers as OpenAI's code, rate_limit_exceeded; the gateway's own limits say rate_limited", () => {
    const upstreams = [
      upstreamFailure(
        "a",
        answer(429, { type: "error", error: { type: "rate_limit_error", message: "slow down" } }),
      ),
      googleFailure(
        "g",
        {
          status: "RESOURCE_EXHAUSTED",
          code: 429,
          message: "quota",
          reason: undefined,
          retryAfter: "3",
          quotaIds: [],
        },
        429,
      ),
      bedrockFailure("b", 429, "ThrottlingException", "Too many requests"),
      statusFailure("w", 429, "slow down"),
    ];
    for (const error of upstreams)
      expect(errorBody(error, "openai")).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    const own = new GatewayError({
      status: 429,
      code: "rate_limited",
      message: "rpm",
      refusedBy: "requests",
    });
    expect(errorBody(own, "openai")).toMatchObject({
      error: { type: "rate_limit_error", code: "rate_limited" },
    });
  });

  test("a 429 stays a retryable 429 with its Retry-After, in both dialects", () => {
    const error = upstreamFailure("up", answer(429, openAI429, { "retry-after": "7" }));
    expect([error.status, error.code, error.retryable]).toEqual([429, "rate_limited", true]);
    expect(error.headers).toEqual({ "retry-after": "7" });
    expect(errorBody(error, "openai")).toEqual(openAI429); // same dialect: the body as sent
    expect(errorBody(error, "anthropic")).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: "Rate limit reached" },
    });
    const fromAnthropic = upstreamFailure(
      "up",
      answer(
        429,
        { type: "error", error: { type: "rate_limit_error", message: "slow down" } },
        { "retry-after": "3" },
      ),
    );
    expect(fromAnthropic.headers).toEqual({ "retry-after": "3" });
    expect(errorBody(fromAnthropic, "openai")).toEqual({
      error: { message: "slow down", type: "requests", param: null, code: "rate_limit_exceeded" },
    });
  });

  test("a 429 or a server fault keeps retry-after-ms and x-should-retry beside Retry-After; a caller's 4xx none", () => {
    const advice = { "retry-after": "1", "retry-after-ms": "1200", "x-should-retry": "true" };
    const headers = { ...advice, "x-ratelimit-remaining-requests": "0" };
    expect(upstreamFailure("up", answer(429, openAI429, headers)).headers).toEqual(advice);
    const overloaded = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
    expect(upstreamFailure("up", answer(529, overloaded, headers)).headers).toEqual(advice);
    const refused = upstreamFailure("up", answer(429, openAI429, { "x-should-retry": "false" }));
    expect(refused.headers).toEqual({ "x-should-retry": "false" });
    expect(upstreamFailure("up", answer(400, openAITooLong, headers)).headers).toEqual({});
  });

  test("context_length_exceeded keeps its code and param across dialects", () => {
    const openai = upstreamFailure("up", answer(400, openAITooLong));
    expect([openai.status, openai.code, openai.param]).toEqual([400, "context_length_exceeded", "messages"]);
    expect(errorBody(openai, "openai")).toEqual(openAITooLong);
    expect(errorBody(openai, "anthropic")).toEqual({
      type: "error",
      // Anthropic's words, which Claude Code compacts on (no prompt size given: the reason follows).
      error: {
        type: "invalid_request_error",
        message: "prompt is too long: this model's maximum context length is 128000 tokens.",
      },
    });
    const anthropic = upstreamFailure("up", answer(400, anthropicTooLong));
    expect(errorBody(anthropic, "anthropic")).toEqual(anthropicTooLong);
    expect(errorBody(anthropic, "openai")).toEqual({
      error: {
        message: anthropicTooLong.error.message,
        type: "invalid_request_error",
        param: "messages",
        code: "context_length_exceeded",
      },
    });
  });

  test("other 4xx keep status and message; our credentials refused (failed over, never retried on their route) and 5xx are 502s", () => {
    const conflict = upstreamFailure(
      "up",
      answer(422, { error: { message: "bad role", type: "invalid_request_error", code: null } }),
    );
    expect([conflict.status, conflict.code, conflict.retryable]).toEqual([422, "invalid_request", false]);
    const creds = upstreamFailure(
      "up",
      answer(401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }),
    );
    expect([creds.status, creds.retryable, creds.sameRouteAgain]).toEqual([502, true, false]);
    expect(errorBody(creds, "anthropic")).toMatchObject({ error: { type: "api_error" } });
    const overloaded = upstreamFailure(
      "up",
      answer(529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
    );
    expect([overloaded.status, overloaded.code, overloaded.retryable]).toEqual([502, "upstream_error", true]);
    // Said as OpenAI says an overload (overload-wire.test.ts).
    expect(errorBody(overloaded, "openai")).toMatchObject({
      error: { type: "service_unavailable_error", code: "server_is_overloaded" },
    });
    expect(errorBody(overloaded, "anthropic")).toMatchObject({ error: { type: "overloaded_error" } });
    const text = upstreamFailure("up", { status: 500, headers: new Headers(), text: "<html>oops</html>" });
    expect(errorBody(text, "openai")).toMatchObject({
      error: { type: "server_error", code: "upstream_error" },
    });
  });

  test("a server fault's words reach a caller of either dialect without the key, URL or address they quote; a key at the cut is taken out whole", () => {
    const said =
      "LiteLLM: call to http://vllm-3.corp.internal:8000/v1?api_key=sk-abcdefghijklmnopqrstuvwx failed";
    const failure = upstreamFailure("oa", answer(500, { error: { message: said, type: "server_error" } }));
    const told = "upstream oa answered 500: LiteLLM: call to (a URL) failed";
    expect(toldMessage(failure, "anthropic")).toBe(told);
    expect(errorBody(failure, "openai")).toEqual({
      error: { message: "LiteLLM: call to (a URL) failed", type: "server_error" },
    });
    // Cut at 300 characters, a key across the cut would leave its first 20 there, no longer a key's shape.
    const long = `${"x".repeat(280)} key sk-abcdefghijklmnopqrstuvwx`;
    const cut = statusFailure("gm", 503, long);
    expect(cut.message).not.toContain("sk-abc");
    expect(cut.message).toContain("[redacted]");
  });

  test("a body of no dialect (an HTML page, nothing) is the failure of the upstream's dialect when the reader knows it", () => {
    const page = { status: 503, headers: new Headers({ "retry-after": "9" }), text: "<html>down</html>" };
    const known = upstreamFailure("up", page, "anthropic");
    expect([known.status, known.upstream?.dialect, known.upstream?.status]).toEqual([502, "anthropic", 503]);
    expect(known.headers).toEqual({ "retry-after": "9" });
    expect(upstreamFailure("up", { ...page, text: "" }, "openai").upstream?.dialect).toBe("openai");
    // Unknown (a translated reply's reader): no dialect's, so no caller's own.
    expect(upstreamFailure("up", page).upstream?.dialect).toBeUndefined();
    // A body that speaks a dialect says which, whatever the reader thought.
    const spoken = upstreamFailure("up", answer(503, { error: { message: "down" } }), "anthropic");
    expect(spoken.upstream?.dialect).toBe("openai");
  });

  test("a body of no dialect that is words (plain text, a top-level message) keeps them, as the SDKs read them; markup none", async () => {
    const plain = (status: number, text: string) => ({ status, headers: new Headers(), text });
    // A caller's 400 in plain text (a Go server's http.Error): its reason is the caller's to read.
    const refused = upstreamFailure("up", plain(400, "model 'x' does not support tools\n"), "openai");
    expect([refused.status, refused.code, refused.message]).toEqual([
      400,
      "invalid_request",
      "model 'x' does not support tools",
    ]);
    expect((errorBody(refused, "anthropic") as { error: { message: string } }).error.message).toBe(
      "model 'x' does not support tools",
    );
    // Envoy's 503: a server fault, its words after the gateway's account, as any server fault's.
    const envoy = upstreamFailure(
      "up",
      plain(503, "upstream connect error or disconnect/reset before headers. reset reason: overflow"),
      "openai",
    );
    expect([envoy.status, envoy.upstream?.status, envoy.message]).toEqual([
      502,
      503,
      "upstream up answered 503: upstream connect error or disconnect/reset before headers. reset reason: overflow",
    ]);
    // Azure API Management's own 429, in front of Azure OpenAI.
    const apim = upstreamFailure(
      "up",
      answer(
        429,
        { statusCode: 429, message: "Rate limit is exceeded. Try again in 60 seconds." },
        { "retry-after": "60" },
      ),
    );
    expect([apim.status, apim.message, apim.headers]).toEqual([
      429,
      "Rate limit is exceeded. Try again in 60 seconds.",
      { "retry-after": "60" },
    ]);
    // A proxy's page and nothing stay in the gateway's words; a long text is cut.
    const page = upstreamFailure("up", plain(502, "  <html><body>502 Bad Gateway</body></html>"), "openai");
    expect(page.message).toBe("upstream up answered 502");
    expect(upstreamFailure("up", plain(400, " \n"), "openai").message).toBe(
      "upstream up rejected the request (400)",
    );
    expect(upstreamFailure("up", plain(400, "x".repeat(5000))).message).toBe(`${"x".repeat(300)}…`);
    // A 404 of plain words is still no API's answer: the route's.
    const lost = upstreamFailure("up", plain(404, "404 page not found"), "openai");
    expect([lost.status, lost.code, lost.sameRouteAgain]).toEqual([502, "upstream_error", false]);
  });
});

/** Each refusal of the gateway itself, as the vendor sends it, and where its words come from. */
const refusals = {
  // Anthropic, a 400 (anthropics/claude-code#66314).
  credit: answer(400, {
    type: "error",
    error: {
      type: "invalid_request_error",
      message:
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
    },
  }),
  // Anthropic's spend limit, a 400 (anthropics/claude-code#2127).
  spendLimit: answer(400, {
    type: "error",
    error: {
      type: "invalid_request_error",
      message:
        "You have reached your specified API usage limits. You will regain access on 2026-04-01 at 00:00 UTC.",
    },
  }),
  billing: answer(402, {
    type: "error",
    error: {
      type: "billing_error",
      message: "Your organization's billing is not set up. Please add a payment method.",
    },
  }),
  // OpenAI, a 429 no wait ends (Pythagora-io/gpt-pilot#340).
  quota: answer(429, {
    error: {
      message:
        "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
      type: "insufficient_quota",
      param: null,
      code: "insufficient_quota",
    },
  }),
};

const wording = (error: GatewayError) =>
  `${JSON.stringify(errorBody(error, "openai"))} ${JSON.stringify(errorBody(error, "anthropic"))}`;

describe("a refusal of the gateway itself is the route's, never the caller's", () => {
  test.each(Object.entries(refusals))(
    "the account refused (%s): a 502 in the gateway's words, failed over at once, counted by the breaker",
    (_, refused) => {
      const error = upstreamFailure("an", refused);
      expect([
        error.status,
        error.code,
        error.retryable,
        error.sameRouteAgain,
        error.countsAgainstRoute,
      ]).toEqual([502, "upstream_account", true, false, true]);
      expect(error.message).toBe("upstream an refused the gateway's account (billing or quota)");
      // The upstream's words are the operator's to read (the log), not the caller's to act on.
      const said = readAnthropicError(JSON.parse(refused.text)) ?? readOpenAIError(JSON.parse(refused.text));
      expect(error.detail).toBe(said?.message);
      expect(wording(error)).not.toContain(said?.message?.slice(0, 30));
      expect(errorBody(error, "anthropic")).toMatchObject({ error: { type: "api_error" } });
      expect(error.headers).toEqual({});
      // The audit entry keeps the status the upstream answered with.
      expect(error.upstream?.status).toBe(refused.status);
    },
  );

  test("matched on the vendor's own words only: another 400 that speaks of credit is the caller's", () => {
    const asked = upstreamFailure(
      "an",
      answer(400, {
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "metadata.note: the credit balance is too low is not a field",
        },
      }),
    );
    expect([asked.status, asked.code]).toEqual([400, "invalid_request"]);
  });

  test("credentials (401) and permissions (403) refused: worded by status, the upstream's reason kept for the log", () => {
    // OpenAI's region refusal (home-assistant/core#120072).
    const region = upstreamFailure(
      "oa",
      answer(403, {
        error: {
          code: "unsupported_country_region_territory",
          message: "Country, region, or territory not supported",
          param: null,
          type: "request_forbidden",
        },
      }),
    );
    expect([region.status, region.code, region.sameRouteAgain]).toEqual([502, "upstream_auth", false]);
    expect(region.message).toBe("upstream oa refused the gateway's request (forbidden)");
    expect(region.detail).toBe("Country, region, or territory not supported");
    expect(wording(region)).not.toContain("territory");
    const key = upstreamFailure(
      "oa",
      answer(401, {
        error: {
          message: "Incorrect API key provided: sk-proj-****WXYZ.",
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      }),
    );
    expect([key.code, key.message, key.upstream?.status]).toEqual([
      "upstream_auth",
      "upstream oa rejected the gateway's credentials",
      401,
    ]);
    expect(wording(key)).not.toContain("sk-proj");
  });

  test.each([
    [
      "OpenAI",
      {
        error: {
          message: "The model `gpt-4o` does not exist or you do not have access to it.",
          type: "invalid_request_error",
          param: null,
          code: "model_not_found",
        },
      },
    ],
    ["Anthropic", { type: "error", error: { type: "not_found_error", message: "model: claude-sonnet-4-5" } }],
    [
      "Azure",
      {
        error: {
          code: "DeploymentNotFound",
          message: "The API deployment for this resource does not exist.",
        },
      },
    ],
    [
      "vLLM",
      {
        error: {
          message: "The model `llama-3-70b` does not exist.",
          type: "NotFoundError",
          param: null,
          code: 404,
        },
      },
    ],
    ["Ollama", { error: 'model "llama9" not found, try pulling it first' }],
  ])(
    "a model call's 404 (%s) is the route's model unknown upstream: a 502 failed over and counted, the upstream's model never named",
    (_, body) => {
      const error = upstreamFailure("up", answer(404, body));
      expect([
        error.status,
        error.code,
        error.retryable,
        error.sameRouteAgain,
        error.countsAgainstRoute,
      ]).toEqual([502, "upstream_error", true, false, true]);
      expect(error.message).toBe("upstream up answered 404: the route's model or URL is not found there");
      expect(wording(error)).not.toMatch(/gpt-4o|claude-sonnet|deployment for this|llama/);
      expect(error.upstream?.status).toBe(404);
    },
  );

  test.each([
    ["a proxy (no body)", undefined],
    ["a web server's page", "<html><body>404 Not Found</body></html>"],
    // The self-hosted servers, each answering a path it lacks in JSON: a chat-only vLLM asked for
    // embeddings, or any of them behind a base_url without its /v1.
    ["vLLM (FastAPI's own 404)", { detail: "Not Found" }],
    ["llama.cpp", { error: { message: "File Not Found", code: 404, type: "not_found_error" } }],
    ["LM Studio", { error: "Unexpected endpoint or method. (POST /chat/completions)" }],
  ])(
    "a 404 no API answered (%s) is no route for the call's path: a 502 failed over at once, counted by no breaker (the caller chose the operation)",
    (_, body) => {
      const error = upstreamFailure(
        "up",
        typeof body === "object"
          ? answer(404, body)
          : { status: 404, headers: new Headers(), text: body ?? "" },
      );
      expect([
        error.status,
        error.code,
        error.retryable,
        error.sameRouteAgain,
        error.countsAgainstRoute,
      ]).toEqual([502, "upstream_error", true, false, false]);
      expect(error.message).toBe(
        "upstream up answered 404: no route for the call's path there (an operation it does not serve, or a wrong base_url)",
      );
      expect(error.upstream?.status).toBe(404);
    },
  );

  test.each([
    [
      // OpenAI (router-for-me/CLIProxyAPI#2381): a reasoning item of a turn stored under
      // another organization, or not at all (Codex, opencode and the Agents SDK send them back).
      "OpenAI's item not found",
      "openai",
      {
        error: {
          message:
            "Item with id 'rs_68af5d7ff2b081919b44f1b6b5c2fa2d0d6e0a5e6e1b0f7e' not found. Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.",
          type: "invalid_request_error",
          param: "input",
          code: null,
        },
      },
    ],
    [
      "Anthropic's file not found",
      "anthropic",
      {
        type: "error",
        error: { type: "not_found_error", message: "File not found: file_011CNha8iCJcU1wXNR6q4V8w" },
      },
    ],
  ] as const)(
    "any other 404 (%s) is the caller's: its 404 as the upstream said it, not retried, no breaker's",
    (_, dialect, body) => {
      const error = upstreamFailure("up", answer(404, body), dialect);
      expect([error.status, error.code, error.retryable]).toEqual([404, "not_found", false]);
      expect(error.upstream?.status).toBe(404);
      if (dialect === "openai" && "error" in body) expect(errorBody(error, "openai")).toEqual(body);
      if (dialect === "anthropic") expect(errorBody(error, "anthropic")).toEqual(body);
      expect(errorBody(error, dialect === "openai" ? "anthropic" : "openai")).toMatchObject({
        error: { message: readAnthropicError(body)?.message ?? readOpenAIError(body)?.message },
      });
      // Across dialects a plain not-found: never OpenAI's `model_not_found`, which names a model.
      if (dialect === "anthropic")
        expect(errorBody(error, "openai")).toMatchObject({
          error: { type: "invalid_request_error", code: "not_found" },
        });
      else expect(errorBody(error, "anthropic")).toMatchObject({ error: { type: "not_found_error" } });
    },
  );

  test("a request over the route's per-minute token limit on its own: a 429 not sent that route again, and not the breaker's", () => {
    // OpenAI (TheR1D/shell_gpt#653): no wait lets this request through at the account's tier.
    const tooLarge = {
      error: {
        message:
          "Request too large for gpt-4o in organization org-78asdf87asdf9aaa8976 on tokens per min (TPM): Limit 30000, Requested 31538. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.",
        type: "tokens",
        param: null,
        code: "rate_limit_exceeded",
      },
    };
    const error = upstreamFailure("oa", answer(429, tooLarge));
    expect([
      error.status,
      error.code,
      error.retryable,
      error.sameRouteAgain,
      error.countsAgainstRoute,
    ]).toEqual([429, "rate_limited", true, false, false]);
    // As sent, but for the gateway's organization id (scrub-account.ts).
    const told = tooLarge.error.message.replace(
      "org-78asdf87asdf9aaa8976",
      "(the gateway's upstream account)",
    );
    expect(errorBody(error, "openai")).toEqual({ error: { ...tooLarge.error, message: told } });
    // An ordinary rate limit is the same route's again, after its wait.
    expect(upstreamFailure("oa", answer(429, openAI429)).sameRouteAgain).toBe(true);
  });
});

describe("when to come back, from a 429's rate-limit headers", () => {
  test("OpenAI's daily limit says only x-ratelimit-reset-requests: read as retry-after-ms and Retry-After", () => {
    const daily = upstreamFailure(
      "oa",
      answer(429, openAI429, {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "6m0s",
        "x-ratelimit-reset-tokens": "0s",
      }),
    );
    expect(daily.headers).toEqual({ "retry-after": "360", "retry-after-ms": "360000" });
    const tokens = upstreamFailure(
      "oa",
      answer(429, openAI429, {
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-requests": "120ms",
        "x-ratelimit-reset-tokens": "644ms",
      }),
    );
    expect(tokens.headers).toEqual({ "retry-after": "1", "retry-after-ms": "644" });
    // A stated Retry-After wins; a server fault's reset headers say nothing of when to retry.
    const stated = answer(429, openAI429, { "retry-after": "20", "x-ratelimit-reset-requests": "20s" });
    expect(upstreamFailure("oa", stated).headers).toEqual({ "retry-after": "20" });
    const fault = answer(500, { error: { message: "boom" } }, { "x-ratelimit-reset-requests": "120ms" });
    expect(upstreamFailure("oa", fault).headers).toEqual({});
  });
});

describe("Bedrock and Google failures keep the upstream's status for the audit", () => {
  test("a server fault's attempt status is Bedrock's, and AWS's exception name keeps its case in Anthropic's words", () => {
    const unavailable = bedrockFailure(
      "br",
      503,
      "ServiceUnavailableException",
      "Bedrock is unable to process your request.",
    );
    expect([unavailable.status, unavailable.upstream?.status]).toEqual([502, 503]);
    const quota = bedrockFailure("br", 400, "ServiceQuotaExceededException", "Too many tokens per day");
    expect([quota.status, quota.upstream?.status]).toEqual([429, 400]);
    const tooLong = bedrockFailure(
      "br",
      400,
      "ValidationException",
      "Input is too long for requested model.",
    );
    expect(errorBody(tooLong, "anthropic")).toEqual({
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "prompt is too long: ValidationException: Input is too long for requested model.",
      },
    });
  });
});

/** Status, code, whether retried, whether the route's breaker counts it. */
const verdict = (error: GatewayError | undefined) => [
  error?.status,
  error?.code,
  error?.retryable,
  error?.countsAgainstRoute,
];

describe("a 200 answer whose body is an error (some OpenAI-compatible servers and proxies)", () => {
  const ORG = "org-uOtiSEwvUnroadaOnJJquBEC";
  const REQUEST = "req_5a7c0e2b9f3d4e8a1b6c7d8e9f0a1b2c";
  const said = (account: string, request: string) =>
    `Rate limit reached for gpt-4o in organization ${account} on tokens per min (TPM). (Please include the request ID ${request} in your message.)`;

  test("its words, the upstream's own, reach the caller and the audit row without the gateway's upstream account; the log's detail keeps them, saying how they came", () => {
    const told = said("(the gateway's upstream account)", "(the upstream's request id)");
    for (const [body, status, code] of [
      [
        { error: { message: said(ORG, REQUEST), type: "tokens", param: null, code: "rate_limit_exceeded" } },
        429,
        "rate_limited",
      ],
      [
        { type: "error", error: { type: "rate_limit_error", message: said(ORG, REQUEST) } },
        429,
        "rate_limited",
      ],
      // Words alone, neither code nor type: the upstream's failure.
      [{ error: said(ORG, REQUEST) }, 502, "upstream_error"],
    ] as const) {
      const error = errorInAnswer("proxy", body);
      expect([error?.status, error?.code, error?.message]).toEqual([status, code, told]);
      // Both dialects' bodies.
      expect(error && wording(error)).not.toMatch(/org-uOti|req_5a7c/);
      expect(error && toldMessage(error, "openai")).toBe(told);
      expect(error && toldMessage(error, "anthropic")).toBe(told);
      expect(error?.detail).toBe(`upstream proxy answered 200 with an error: ${said(ORG, REQUEST)}`);
    }
  });

  test("a Responses response that failed is a failure, as its stream's response.failed is; one cut short is an answer", () => {
    const response = (status: string, extra: object = {}) => ({
      id: "resp_1",
      object: "response",
      status,
      output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: "partial" }] }],
      ...extra,
    });
    const failed = errorInAnswer(
      "oa",
      response("failed", { error: { code: "server_error", message: `overloaded for ${ORG}` } }),
    );
    expect([failed?.status, failed?.code, failed?.retryable, failed?.message]).toEqual([
      502,
      "upstream_error",
      true,
      "overloaded for (the gateway's upstream account)",
    ]);
    expect(failed?.detail).toBe(`upstream oa answered 200 with a failed response: overloaded for ${ORG}`);
    // Without the upstream's words, its own.
    expect(errorInAnswer("oa", response("failed", { error: null }))?.message).toBe(
      "upstream oa answered 200 with a failed response",
    );
    // Cut at max_output_tokens, or whole: an answer.
    expect(
      errorInAnswer("oa", response("incomplete", { incomplete_details: { reason: "max_output_tokens" } })),
    ).toBeUndefined();
    expect(errorInAnswer("oa", response("completed", { error: null }))).toBeUndefined();
  });

  test("judged by its code or type as the stream's error is (core/openai-errors.ts statusForOpenAIError): a prompt too long or refused is the caller's 400, neither retried nor the route's; a server error the route's retryable 502", () => {
    const TOO_LONG =
      "Your input exceeds the context window of this model. Please adjust your input and try again.";
    const failedWith = (code: string, message: string) => ({
      id: "resp_1",
      object: "response",
      status: "failed",
      output: [],
      error: { code, message },
    });
    const tooLong = errorInAnswer("oa", failedWith("context_length_exceeded", TOO_LONG));
    expect(verdict(tooLong)).toEqual([400, "context_length_exceeded", false, true]);
    expect([tooLong?.param, tooLong?.message]).toEqual(["messages", TOO_LONG]);
    expect(tooLong && fallbackClassOf(tooLong)).toBe("context_length");
    // A proxy answering 200 with OpenAI's error body alike.
    const proxied = errorInAnswer("proxy", openAITooLong);
    expect(verdict(proxied)).toEqual([400, "context_length_exceeded", false, true]);
    expect(verdict(errorInAnswer("oa", failedWith("server_error", "The model failed.")))).toEqual([
      502,
      "upstream_error",
      true,
      true,
    ]);
    const refused = errorInAnswer("proxy", {
      error: {
        message: "Bad value for temperature.",
        type: "invalid_request_error",
        param: "temperature",
        code: null,
      },
    });
    expect(verdict(refused)).toEqual([400, "invalid_request", false, true]);
    expect(refused?.param).toBe("temperature");
    expect(verdict(errorInAnswer("a", anthropicTooLong))).toEqual([
      400,
      "context_length_exceeded",
      false,
      true,
    ]);
  });

  test("a refusal of the gateway's account in a 200 is the route's, said in the gateway's words as its 429 is; the upstream's in the log", () => {
    const quota = "You exceeded your current quota, please check your plan and billing details.";
    const error = errorInAnswer("proxy", {
      error: { message: quota, type: "insufficient_quota", param: null, code: "insufficient_quota" },
    });
    expect([error?.status, error?.code, error?.retryable, error?.sameRouteAgain]).toEqual([
      502,
      "upstream_account",
      true,
      false,
    ]);
    expect(error?.message).toBe(
      statusFailure("proxy", 429, quota, {
        detail: { dialect: "openai", status: 429, code: "insufficient_quota" },
      }).message,
    );
    expect(error?.detail).toBe(`upstream proxy answered 200 with an error: ${quota}`);
  });

  test("only the upstream's own words are read so: the gateway's, a route's name among them, are as they are", () => {
    const error = errorInAnswer("req_route0001", { error: { message: "model overloaded" } });
    expect(error?.message).toBe("model overloaded");
    expect(error?.detail).toBe("upstream req_route0001 answered 200 with an error: model overloaded");
    // A real answer is none.
    expect(errorInAnswer("proxy", { choices: [], error: null })).toBeUndefined();
  });
});

describe("an upstream's timeout is a 504 in each caller's dialect, whichever vendor timed out", () => {
  test("Anthropic's 504 timeout_error (answered, or its stream's error event) and an OpenAI-compatible 504: the gateway's retryable upstream_timeout", async () => {
    const { errorResponse } = await import("../../http/error-body.ts");
    const { inBandError } = await import("../../translate/stream/in-band-error.ts");
    const timeout = { type: "error", error: { type: "timeout_error", message: "Request timed out" } };
    const openai504 = {
      error: { message: "Gateway timeout", type: "server_error", param: null, code: null },
    };
    const failures = [
      upstreamFailure("claude", answer(504, timeout)),
      inBandError("anthropic", timeout),
      upstreamFailure("oa", answer(504, openai504)),
    ];
    for (const failure of failures) {
      expect([failure.status, failure.code, failure.retryable]).toEqual([504, "upstream_timeout", true]);
      const toOpenAI = errorResponse(failure, "openai", {});
      const toAnthropic = errorResponse(failure, "anthropic", {});
      expect([toOpenAI.status, toAnthropic.status]).toEqual([504, 504]);
      expect(((await toAnthropic.json()) as { error: { type: string } }).error.type).toBe("timeout_error");
    }
    // A caller of the upstream's own dialect still gets its body as sent.
    expect(errorBody(failures[0] as GatewayError, "anthropic")).toEqual(timeout);
    expect(errorBody(failures[2] as GatewayError, "openai")).toEqual(openai504);
  });
});
