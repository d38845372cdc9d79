import { describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// An upstream's 5xx once no route is left, and what the translation leaves out or added and had
// refused (the gateway set-up: harness/error-fidelity-fixture.ts).

const fidelity = errorFidelityFixture();
const { fx, chat, messages } = fidelity;

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
        authorization: `Bearer ${fidelity.key}`,
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
      const response = await post(fidelity.gw.url, call, model);
      expect(response.status).toBe(status);
      expect(await response.text()).toBe(expected);
      expect(response.headers.get("retry-after")).toBe("3");
      expect(response.headers.get("retry-after-ms")).toBe("2500");
      expect(response.headers.get("x-should-retry")).toBe("false");
      const row = await auditRow(fidelity.gw, response.headers.get("x-request-id") ?? "");
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
      const response = await post(fidelity.gw.url, call, model);
      expect([model, response.status, response.headers.get("retry-after")]).toEqual([model, 503, "9"]);
      expect(await response.json()).toMatchObject(shape);
      const row = await auditRow(fidelity.gw, response.headers.get("x-request-id") ?? "");
      expect([model, row.status]).toEqual([model, 503]);
    }
    for (const [call, model] of [
      [OPENAI_CALL, "a-html"],
      [ANTHROPIC_CALL, "o-empty"],
    ] as const) {
      const response = await post(fidelity.gw.url, call, model);
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

  test("Moonshot's (Kimi's) 429 engine_overloaded_error is an overload, not a rate limit: Anthropic's 529 overloaded_error to an Anthropic caller (Claude Code's overloaded retries); as sent to an OpenAI caller", async () => {
    const toAnthropic = (await messages("kimi-overloaded", "x")) as InstanceType<typeof Anthropic.APIError>;
    expect(toAnthropic.status).toBe(529);
    expect(toAnthropic.error).toEqual({
      type: "error",
      error: {
        type: "overloaded_error",
        message:
          "upstream oa-vendor answered 429: The engine is currently overloaded, please try again later",
      },
      request_id: expect.stringMatching(/^req_/),
    });
    const row = await auditRow(fidelity.gw, toAnthropic.headers?.get("request-id") ?? "");
    expect([row.status, row.attempts?.map((a) => a.status)]).toEqual([529, [429]]);
    // Moonshot's own dialect: its status and body, as its own SDK users get them.
    const toOpenAI = (await chat("kimi-overloaded", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([toOpenAI.status, toOpenAI.type]).toEqual([429, "engine_overloaded_error"]);
  });

  test("a 5xx's words that quote a key, an internal URL or address, or an AWS account reach neither caller nor audit row so, relayed or translated", async () => {
    const said =
      "LiteLLM: call to (a URL) failed (fallback (an address), arn:aws:bedrock:us-east-1:(the gateway's upstream account):model/x)";
    const relayed = await post(fidelity.gw.url, OPENAI_CALL, "leaky");
    const translated = await post(fidelity.gw.url, ANTHROPIC_CALL, "leaky");
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
      const row = await auditRow(fidelity.gw, response.headers.get("x-request-id") ?? "");
      expect(row.errorMessage).toBe(message);
    }
  });

  test("a failover hides the first route's 5xx: the caller sees the last route's answer", async () => {
    fx.fake.enqueue({ status: 500 }, {});
    const served = await fidelity.openai.chat.completions.create({
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
    const verbatim = await post(fidelity.gw.url, OPENAI_CALL, "an-then-oa");
    expect(verbatim.status).toBe(503);
    expect(await verbatim.json()).toMatchObject({
      error: { message: "fake upstream: status 503 on request" },
    });
  });
});

describe("what translation leaves out is named", () => {
  test("a hosted tool on a chat upstream: x-mindgw-dropped names it; the request is served", async () => {
    const { data, response } = await fidelity.openai.responses
      .create({ model: "o", input: "hi", tools: [{ type: "web_search" }], reasoning: { summary: "auto" } })
      .withResponse();
    expect(data.status).toBe("completed");
    expect(response.headers.get("x-mindgw-dropped")).toBe("tools.web_search, reasoning.summary");
    const plain = await fidelity.openai.responses.create({ model: "o", input: "hi" }).withResponse();
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
    const { data, response } = await fidelity.openai.responses
      .create({ model: "a", input: "hi [[fake:no-effort]]", reasoning: { effort: "low" } })
      .withResponse();
    expect(data.status).toBe("completed");
    expect(response.headers.get("x-mindgw-dropped")).toBe("reasoning.effort");
    const [refused, served] = sent(from);
    expect(refused?.output_config).toEqual({ effort: "low" });
    expect(served?.output_config).toBeUndefined();
    const row = await auditRow(fidelity.gw, response.headers.get("x-request-id") ?? "");
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
    const { data, response } = await fidelity.anthropic.messages
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
    const error = await openaiFailure(
      fidelity.openai.chat.completions.create({
        model: "o",
        reasoning_effort: "low",
        messages: [{ role: "user", content: "hi [[fake:no-effort]]" }],
      }),
    );
    expect([error.status, error.code, error.param]).toEqual([
      400,
      "unsupported_parameter",
      "reasoning_effort",
    ]);
    expect(sent(from)).toHaveLength(1);
  });
});
