import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";

// An upstream's error keeps its meaning through the gateway, for every pair of dialects: a 429
// stays a 429 with its Retry-After; a request the translation made is not refused for it; a
// same-dialect 4xx body comes back as the upstream sent it. The other error-fidelity*.test.ts
// files share this one's gateway set-up (harness/error-fidelity-fixture.ts): a context-length
// refusal (-context), the gateway's account and credentials (-account), a refusal of the gateway
// itself (-route-refused), 5xx answers and what translation leaves out (-5xx), failures said in a
// stream or a failed response (-failed-answers).

const fidelity = errorFidelityFixture();
const { fx, chat, messages, responses } = fidelity;

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

describe("a refusal the translation must not cause", () => {
  test("Anthropic → an OpenAI reasoning model: max_tokens goes as max_completion_tokens, which it takes", async () => {
    const message = await fidelity.anthropic.messages.create({
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
    const { data, response } = await fidelity.openai.chat.completions
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
    const { data, response } = await fidelity.openai.chat.completions
      .create({ model: "sonnet", messages: [{ role: "user", content: "hi" }], temperature: 0.7, top_p: 1 })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("echo: hi");
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    expect(sampling(from)).toEqual([[0.7, undefined]]);
  });

  test("another top_p: refused, sent again without it and named top_p, chat and Responses alike", async () => {
    const from = fx.fake.requests.length;
    const chat = await fidelity.openai.chat.completions
      .create({ model: "sonnet", messages: [{ role: "user", content: "hi" }], temperature: 0.7, top_p: 0.9 })
      .withResponse();
    expect(chat.data.choices[0]?.message.content).toBe("echo: hi");
    expect(chat.response.headers.get("x-mindgw-dropped")).toBe("top_p");
    const responses = await fidelity.openai.responses
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
    const row = await auditRow(fidelity.gw, error.headers?.get("x-request-id") ?? "");
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
