import { describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { errorFidelityFixture } from "./harness/error-fidelity-fixture.ts";
import { vendorCalls } from "./harness/error-fidelity-vendors.ts";

// A failure said inside an answer: llama.cpp's `error:` SSE field, a Responses answer whose response
// failed (the gateway set-up: harness/error-fidelity-fixture.ts).

const fidelity = errorFidelityFixture();
const { fx, responses } = fidelity;

/** An OpenAI caller's chat stream read until the SDK throws: the text it had by then, what it
 * threw, and the request's id for its audit row. */
async function chatStreamUntilThrown(model: string) {
  let text = "";
  const stream = await fidelity.openai.chat.completions.create({
    model,
    stream: true,
    messages: [{ role: "user", content: "x" }],
  });
  const thrown = await (async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  })().catch((e: unknown) => e);
  return { text, thrown, requestId: stream._request_id ?? "" };
}

describe("llama.cpp's `error:` SSE field (its servers before 2025)", () => {
  const said = "llama_decode failed: out of KV cache";

  test("mid-stream: both SDKs throw its words where the answer looked whole (no finish, no end_turn); the record says the 500 its error stands for, as before the first event", async () => {
    const { text, thrown, requestId } = await chatStreamUntilThrown("llamacpp-mid");
    expect(text).toBe("partial answer ");
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toBe(said);
    expect((await auditRow(fidelity.gw, requestId)).status).toBe(500);
    const across = await fidelity.anthropic.messages
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
    const error = (await fidelity.openai.chat.completions
      .create({ model: "llamacpp-first", stream: true, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, (error.error as { message: string }).message]).toEqual([500, said]);
    const across = (await fidelity.anthropic.messages
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

// OpenRouter says an error once the answer has begun as a chunk of the stream, its `error` after
// `id`, its finish `error` (its error docs), `[DONE]` after it: relayed as it came, the stream failed.
describe("OpenRouter's error chunk after the answer's first token", () => {
  test("an OpenAI caller's SDK throws its words after the token, and the request and its attempt are audited failed, as an Anthropic caller's are", async () => {
    const { text, thrown, requestId } = await chatStreamUntilThrown("openrouter-error-mid-stream");
    expect(text).toBe("partial answer ");
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect((thrown as Error).message).toBe("Provider disconnected");
    const row = await auditRow(fidelity.gw, requestId);
    const across = fidelity.anthropic.messages.stream({
      model: "openrouter-error-mid-stream",
      max_tokens: 20,
      messages: [{ role: "user", content: "x" }],
    });
    expect(await across.finalMessage().catch((e: unknown) => e)).toBeInstanceOf(Anthropic.APIError);
    const acrossRow = await auditRow(fidelity.gw, across.request_id ?? "");
    for (const audited of [row, acrossRow]) {
      expect([audited.status, audited.errorClass, audited.attempts?.map((a) => a.outcome)]).toEqual([
        502,
        "upstream_error",
        ["failed"],
      ]);
    }
  });
});

describe("OpenRouter's error chunk for the second of two choices, after the first finished", () => {
  test("the OpenAI SDK throws its words, and the request is audited failed, not complete", async () => {
    const stream = await fidelity.openai.chat.completions.create({
      model: "openrouter-error-after-first-finish",
      stream: true,
      n: 2,
      messages: [{ role: "user", content: "x" }],
    });
    const thrown = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect([thrown instanceof OpenAI.APIError, (thrown as Error).message]).toEqual([
      true,
      "Provider disconnected",
    ]);
    const row = await auditRow(fidelity.gw, stream._request_id ?? "");
    expect([row.status, row.errorClass, row.attempts?.map((a) => a.outcome)]).toEqual([
      502,
      "upstream_error",
      ["failed"],
    ]);
  });
});

describe("a Responses answer whose response failed", () => {
  test("a 200 whose response has status failed is the route's failure: failed over; alone, a 502 in the upstream's words, nothing charged", async () => {
    vendorCalls.clear();
    const served = await fidelity.openai.responses.create({ model: "failed-response-then-o", input: "x" });
    expect(served.status).toBe("completed");
    expect(served.output_text).toBe("echo: x");
    expect(vendorCalls.get("failed-response")).toBe(1);
    const error = (await responses("failed-response", "x")) as InstanceType<typeof OpenAI.APIError>;
    expect([error.status, error.code, error.message]).toEqual([
      502,
      "upstream_error",
      "502 The model failed to generate a response.",
    ]);
    const row = await auditRow(fidelity.gw, error.requestID ?? "");
    expect([
      row.status,
      row.errorClass,
      row.costUsd,
      row.attempts?.map((a) => [a.outcome, a.errorClass]),
    ]).toEqual([502, "upstream_error", 0, [["failed", "upstream_error"]]]);
    const first = await auditRow(fidelity.gw, served._request_id ?? "");
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

// A 200 that carries no answer is the upstream's fault whoever calls: the SDKs read `choices[0]`
// (or `content`) and would crash on it, a translation has nothing to translate.
describe("a 200 with no answer in it (no choice, an empty object)", () => {
  test.each([
    ["a chat answer with no choice", "no-choices", "no-choices"],
    ["an empty object from an OpenAI-dialect route", "empty-chat", "empty-object"],
    ["an empty object from an Anthropic route", "empty-message", "empty-object"],
  ])(
    "%s: a 502 upstream_error to chat, Messages and Responses callers, passed through or translated alike; audited so",
    async (_, model, upstreamModel) => {
      vendorCalls.clear();
      const openaiError = (await fidelity.chat(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect(openaiError).toBeInstanceOf(OpenAI.APIError);
      expect([openaiError.status, openaiError.code]).toEqual([502, "upstream_error"]);
      const anthropicError = (await fidelity.messages(model, "x")) as InstanceType<typeof Anthropic.APIError>;
      expect(anthropicError).toBeInstanceOf(Anthropic.APIError);
      expect(anthropicError.status).toBe(502);
      expect(anthropicError.error).toMatchObject({ type: "error", error: { type: "api_error" } });
      const responsesError = (await fidelity.responses(model, "x")) as InstanceType<typeof OpenAI.APIError>;
      expect([responsesError.status, responsesError.code]).toEqual([502, "upstream_error"]);
      expect(vendorCalls.get(upstreamModel)).toBe(3);
      const row = await auditRow(fidelity.gw, openaiError.requestID ?? "");
      expect([row.status, row.errorClass]).toEqual([502, "upstream_error"]);
    },
  );

  test("with another route: failed over to it, which serves", async () => {
    vendorCalls.clear();
    const answer = await fidelity.openai.chat.completions.create({
      model: "no-choices-then-o",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(answer.choices[0]?.message.content).toBe("echo: hi");
    expect(vendorCalls.get("no-choices")).toBe(1);
  });
});

// The same said as a stream: chunks without a choice, then `[DONE]`. Such chunks open an answer
// (Azure's prompt filter chunk comes first): held, and the stream that ends with nothing after
// them is the route's failure before the first byte, relayed or translated alike.
describe("a stream with no choice in it", () => {
  const streamed = (model: string) => [{ role: "user" as const, content: "hi" }, model] as const;

  test("is a 502 upstream_error to chat, Messages and Responses callers before any byte, audited so; with another route, failed over to it", async () => {
    vendorCalls.clear();
    const [message, model] = streamed("no-choices-stream");
    const chat = (await fidelity.openai.chat.completions
      .create({ model, stream: true, messages: [message] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(chat).toBeInstanceOf(OpenAI.APIError);
    expect([chat.status, chat.code]).toEqual([502, "upstream_error"]);
    const across = (await fidelity.anthropic.messages
      .create({ model, max_tokens: 20, stream: true, messages: [message] })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(across).toBeInstanceOf(Anthropic.APIError);
    expect([across.status, across.error]).toMatchObject([
      502,
      { type: "error", error: { type: "api_error" } },
    ]);
    const responsesError = (await fidelity.openai.responses
      .create({ model, input: "hi", stream: true })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([responsesError.status, responsesError.code]).toEqual([502, "upstream_error"]);
    expect(vendorCalls.get("no-choices-stream")).toBe(3);
    // One wording, relayed or translated: the upstream named, as a whole body's failure names it.
    for (const failed of [chat, across, responsesError])
      expect(failed.message).toContain("upstream oa-vendor sent a body with no answer in it");
    for (const id of [chat.requestID, across.requestID, responsesError.requestID]) {
      const row = await auditRow(fidelity.gw, id ?? "");
      expect([row.status, row.errorClass]).toEqual([502, "upstream_error"]);
    }
    const served = fidelity.openai.chat.completions.stream({
      model: "no-choices-stream-then-o",
      messages: [message],
    });
    expect((await served.finalChatCompletion()).choices[0]?.message.content).toBe("echo: hi");
  });

  test("an empty answer with its finish (Azure's prompt filter chunk first, usage alone last) stays a success for every caller", async () => {
    const [message, model] = streamed("empty-completion");
    const chat = await fidelity.openai.chat.completions.create({
      model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [message],
    });
    const finishes: (string | null | undefined)[] = [];
    let text = "";
    for await (const chunk of chat) {
      finishes.push(chunk.choices[0]?.finish_reason);
      text += chunk.choices[0]?.delta?.content ?? "";
    }
    expect([finishes.filter(Boolean), text]).toEqual([["stop"], ""]);
    const across = fidelity.anthropic.messages.stream({ model, max_tokens: 20, messages: [message] });
    const said = await across.finalMessage();
    expect([said.stop_reason, said.content]).toEqual(["end_turn", []]);
    for (const id of [chat._request_id, across.request_id]) {
      expect((await auditRow(fidelity.gw, id ?? "")).status).toBe(200);
    }
  });
});

// `"error": null` is no error: some OpenAI-compatible servers send it on every chunk; nor is
// `false`, `""` or `0` (only a truthy one, as the OpenAI SDK reads it: core/says-error.ts).
describe('an answer that says "error": null', () => {
  test("whole: the answer, to chat and Messages callers", async () => {
    const chat = (await fidelity.chat("null-error", "x")) as OpenAI.ChatCompletion;
    expect(chat.choices?.[0]?.message.content).toBe("hi");
    const across = (await fidelity.messages("null-error", "x")) as Anthropic.Message;
    expect(across.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual(["hi"]);
  });

  test.each(["null-error-stream", "false-error-stream", "empty-error-stream"])(
    "streamed (%s): relayed as it came to a chat caller, translated for a Messages caller, each a success",
    async (model) => {
      const stream = await fidelity.openai.chat.completions.create({
        model,
        stream: true,
        messages: [{ role: "user", content: "x" }],
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
      expect(text).toBe("hi");
      const across = fidelity.anthropic.messages.stream({
        model,
        max_tokens: 20,
        messages: [{ role: "user", content: "x" }],
      });
      const said = await across.finalMessage();
      const words = said.content.map((block) => (block.type === "text" ? block.text : block.type));
      expect([words, said.stop_reason]).toEqual([["hi"], "end_turn"]);
      for (const id of [stream._request_id, across.request_id])
        expect((await auditRow(fidelity.gw, id ?? "")).status).toBe(200);
    },
  );
});
