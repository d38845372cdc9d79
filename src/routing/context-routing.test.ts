import { describe, expect, test } from "bun:test";
import { anthropicWireError } from "../core/anthropic-errors.ts";
import type { JsonObject, Operation } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { fitsContext } from "./context-fit.ts";
import { fallbackClassOf } from "./fallback-on.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";

const tooLong = () =>
  new GatewayError({
    status: 400,
    code: "context_length_exceeded",
    param: "messages",
    message: "This model's maximum context length is 100 tokens.",
  });

const bigBody = (chars: number, extra: object = {}) => ({
  model: "m",
  messages: [{ role: "user", content: "x".repeat(chars) }],
  ...extra,
});

/** `count` texts of `chars` characters each. */
const texts = (count: number, chars: number) => Array.from({ length: count }, () => "x".repeat(chars));

/** A megabyte of base64: a photo's, a PDF's or a recording's payload, some 262,000 tokens were it text. */
const BASE64 = "/9j/4AAQSkZJRg".repeat(75_000);
const dataUrl = (mediaType: string) => `data:${mediaType};base64,${BASE64}`;

const PHOTO = { type: "image_url", image_url: { url: dataUrl("image/jpeg") } };

/** Each dialect's media, as a caller sends them, with the operation whose body holds them. */
const MEDIA: Record<string, { operation: Operation; body: (count: number) => JsonObject }> = {
  "chat image_url (data: URL)": chatWith(PHOTO),
  "chat image_url (link)": chatWith({ type: "image_url", image_url: "https://example.com/cat.jpg" }),
  "chat input_audio": chatWith({ type: "input_audio", input_audio: { data: BASE64, format: "wav" } }),
  "chat file": chatWith({ type: "file", file: { filename: "a.pdf", file_data: dataUrl("application/pdf") } }),
  "Responses input_image": responsesWith({ type: "input_image", image_url: dataUrl("image/png") }),
  "Responses input_file": responsesWith({
    type: "input_file",
    filename: "a.pdf",
    file_data: dataUrl("application/pdf"),
  }),
  "Messages image": messagesWith({
    type: "image",
    source: { type: "base64", media_type: "image/jpeg", data: BASE64 },
  }),
  "Messages PDF document": messagesWith({
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: BASE64 },
  }),
  "Messages tool_result image": messagesWith({
    type: "tool_result",
    tool_use_id: "t",
    content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: BASE64 } }],
  }),
  // Gemini's own part, no front door's shape, is known wherever it is.
  "Gemini inlineData": chatWith({ inlineData: { mimeType: "image/jpeg", data: BASE64 } }),
};

function chatWith(part: JsonObject) {
  return {
    operation: "chat" as const,
    body: (count: number) => ({ model: "m", messages: [{ role: "user", content: parts(part, count) }] }),
  };
}
function responsesWith(part: JsonObject) {
  return {
    operation: "responses" as const,
    body: (count: number) => ({ model: "m", input: [{ role: "user", content: parts(part, count) }] }),
  };
}
function messagesWith(part: JsonObject) {
  return {
    operation: "messages" as const,
    body: (count: number) => ({
      model: "m",
      max_tokens: 1000,
      messages: [{ role: "user", content: parts(part, count) }],
    }),
  };
}
const parts = (part: JsonObject, count: number) => Array.from({ length: count }, () => part);

/** `count` assistant turns, each with `turn(i)`'s fields. */
function assistantTurns(turn: (i: number) => JsonObject) {
  return {
    operation: "chat" as const,
    body: (count: number) => ({
      model: "m",
      messages: Array.from({ length: count }, (_, i) => ({ role: "assistant", ...turn(i) })),
    }),
  };
}
const call = (id: string) => ({ id, type: "function", function: { name: "f", arguments: "{}" } });
/** A call id carrying Gemini's thought signature, as the gateway shows one (gemini-call-id.ts). */
const signed = (i: number) => `call_${i}__ts_${BASE64.replaceAll("/", "_")}`;

describe("fitsContext", () => {
  test("counts the prompt's characters (about 4 a token) plus the requested answer", () => {
    expect(fitsContext("chat", bigBody(396), 100)).toBe(true);
    expect(fitsContext("chat", bigBody(404), 100)).toBe(false);
    expect(fitsContext("chat", bigBody(200, { max_tokens: 60 }), 100)).toBe(false);
    expect(fitsContext("chat", bigBody(10, { max_completion_tokens: 100 }), 100)).toBe(false);
  });

  test("embeddings inputs and completions prompts fit the window each alone, as each is answered alone", () => {
    // Twenty inputs of ~1,000 tokens on an 8,192-token embedding model: 20,000 together, each far below.
    expect(fitsContext("embeddings", { model: "e", input: texts(20, 4000) }, 8192)).toBe(true);
    expect(
      fitsContext("embeddings", { model: "e", input: [...texts(3, 40), "x".repeat(40_000)] }, 8192),
    ).toBe(false);
    expect(fitsContext("embeddings", { model: "e", input: "x".repeat(40_000) }, 8192)).toBe(false);
    // Token ids are no text to count: never refused by the estimate.
    expect(fitsContext("embeddings", { model: "e", input: [[1, 2, 3]] }, 8192)).toBe(true);
    // Eight prompts of ~2,500 tokens on a 16,385-token model, each with its 100-token answer.
    const prompts = { model: "i", prompt: texts(8, 10_000), max_tokens: 100 };
    expect(fitsContext("completions", prompts, 16_385)).toBe(true);
    expect(fitsContext("completions", { ...prompts, max_tokens: 14_000 }, 16_385)).toBe(false);
  });

  test("a medium counts its fixed figure, never its base64 as text, in each dialect's shape", () => {
    for (const [shape, { operation, body }] of Object.entries(MEDIA)) {
      // A megabyte of base64 fits a 128k window: it was refused as 262,000 tokens of text.
      expect([shape, fitsContext(operation, body(1), 128_000)]).toEqual([shape, true]);
      // Each medium is 1,600 tokens or more: a hundred do not fit.
      expect([shape, fitsContext(operation, body(100), 128_000)]).toEqual([shape, false]);
    }
    // A text document's text is text.
    const textDocument = {
      type: "document",
      source: { type: "text", media_type: "text/plain", data: BASE64 },
    };
    expect(fitsContext("messages", messagesWith(textDocument).body(1), 128_000)).toBe(false);
  });

  test("a text file counts its text, as Claude reads it, not a PDF's page: its base64 at three bytes in four, its escapes a byte each, never decoded", () => {
    // A 400 KB CSV: some 100,000 tokens, where a file counted 2,300.
    const csv = `data:text/csv;base64,${Buffer.from("a,b\n".repeat(100_000)).toString("base64")}`;
    const chat = chatWith({ type: "file", file: { filename: "t.csv", file_data: csv } }).body(1);
    const responses = responsesWith({ type: "input_file", filename: "t.csv", file_data: csv }).body(1);
    for (const [operation, body] of [
      ["chat", chat],
      ["responses", responses],
    ] as const) {
      expect([operation, fitsContext(operation, body, 128_000)]).toEqual([operation, true]);
      expect([operation, fitsContext(operation, body, 64_000)]).toEqual([operation, false]);
    }
    // Written as text (no ";base64"): its characters.
    const written = chatWith({ type: "file", file: { file_data: `data:text/plain,${"x".repeat(40_000)}` } });
    expect([
      fitsContext("chat", written.body(1), 10_100),
      fitsContext("chat", written.body(1), 9_900),
    ]).toEqual([true, false]);
    // Percent-encoded, an escape is one byte: 40,000 characters written as 80,000 ("x%2C").
    const escaped = `data:text/csv,${encodeURIComponent("x,".repeat(20_000))}`;
    // `;base64` in any case (RFC 2397 parameters are case-insensitive): its bytes, not its characters.
    const shouted = `data:text/plain;BASE64,${Buffer.from("x".repeat(40_000)).toString("base64")}`;
    // Text as Claude's translation takes it (data-url.ts `isTextDataUrl`): its type in any case, or
    // none in the URL's own form, RFC 2397's text/plain.
    const forty = "x".repeat(40_000);
    const typedAnyCase = `data:TEXT/Plain,${forty}`;
    const untyped = [`data:,${forty}`, `data:;charset=utf-8,${forty}`];
    for (const file_data of [escaped, shouted, typedAnyCase, ...untyped]) {
      const body = chatWith({ type: "file", file: { file_data } }).body(1);
      expect([
        file_data.slice(0, 20),
        fitsContext("chat", body, 10_100),
        fitsContext("chat", body, 9_900),
      ]).toEqual([file_data.slice(0, 20), true, false]);
    }
    // Untyped base64 may be anything (a PDF's): a document's figure, whatever its length.
    const anyBytes = chatWith({ type: "file", file: { file_data: `data:;base64,${btoa(forty)}` } });
    expect(fitsContext("chat", anyBytes.body(1), 9_900)).toBe(true);
  });

  test("the model's own reasoning handed back counts nothing of its opaque blob, in each dialect's shape", () => {
    const reasoning = {
      // Codex sends every turn's reasoning item back, each with its encrypted_content.
      "Responses reasoning": {
        operation: "responses" as const,
        body: (count: number) => ({
          model: "m",
          input: Array.from({ length: count }, (_, i) => ({
            type: "reasoning",
            id: `rs_${i}`,
            summary: [],
            encrypted_content: BASE64,
          })),
        }),
      },
      "Messages thinking": messagesWith({ type: "thinking", thinking: "", signature: BASE64 }),
      "Messages redacted_thinking": messagesWith({ type: "redacted_thinking", data: BASE64 }),
      // OpenRouter's reasoning handed back on an assistant turn: encrypted, or signed beside its text.
      "chat reasoning_details": assistantTurns((i) => ({
        content: "",
        reasoning_details: [
          {
            type: "reasoning.encrypted",
            data: BASE64,
            id: `rs_${i}`,
            format: "openai-responses-v1",
            index: 0,
          },
          { type: "reasoning.text", text: "", signature: BASE64, format: "anthropic-claude-v1", index: 1 },
        ],
      })),
      // Gemini's thought signature: as its OpenAI-compatible API carries it on a call, and in the
      // call's id as the gateway carries it (gemini-call-id.ts), the call and its result alike.
      "chat Gemini extra_content": assistantTurns((i) => ({
        tool_calls: [{ ...call(`call_${i}`), extra_content: { google: { thought_signature: BASE64 } } }],
      })),
      "chat signed call ids": {
        operation: "chat" as const,
        body: (count: number) => ({
          model: "m",
          messages: Array.from({ length: count }, (_, i) => [
            { role: "assistant", tool_calls: [call(signed(i))] },
            { role: "tool", tool_call_id: signed(i), content: "ok" },
          ]).flat(),
        }),
      },
      "Messages signed call ids": {
        operation: "messages" as const,
        body: (count: number) => ({
          model: "m",
          max_tokens: 1000,
          messages: Array.from({ length: count }, (_, i) => [
            { role: "assistant", content: [{ type: "tool_use", id: signed(i), name: "f", input: {} }] },
            { role: "user", content: [{ type: "tool_result", tool_use_id: signed(i), content: "ok" }] },
          ]).flat(),
        }),
      },
      "Responses signed call ids": {
        operation: "responses" as const,
        body: (count: number) => ({
          model: "m",
          input: Array.from({ length: count }, (_, i) => [
            { type: "function_call", call_id: signed(i), name: "f", arguments: "{}" },
            { type: "function_call_output", call_id: signed(i), output: "ok" },
          ]).flat(),
        }),
      },
    };
    // Three turns' blobs fit a 128k window: each alone was 262,000 tokens of text. (Three, not
    // forty: the point is each blob, and forty megabytes took this test near its 5 s under load.)
    const shapes = Object.entries(reasoning);
    expect(
      shapes.map(([shape, { operation, body }]) => [shape, fitsContext(operation, body(3), 128_000)]),
    ).toEqual(shapes.map(([shape]) => [shape, true]));
    // What is said in the open beside it is text: a thought, a summary.
    const thought = messagesWith({ type: "thinking", thinking: BASE64, signature: "sig" });
    expect(fitsContext("messages", thought.body(1), 128_000)).toBe(false);
    const summarised = {
      model: "m",
      input: [
        { type: "reasoning", summary: [{ type: "summary_text", text: BASE64 }], encrypted_content: "e" },
      ],
    };
    expect(fitsContext("responses", summarised, 128_000)).toBe(false);
    // Known by the part's type: a tool's `signature` or `data` is the caller's text.
    const tool = messagesWith({ type: "tool_use", id: "t", name: "sign", input: { signature: BASE64 } });
    expect(fitsContext("messages", tool.body(1), 128_000)).toBe(false);
    // So is a reasoning.text's text, and the part of a signed id before its signature.
    const said = assistantTurns(() => ({
      reasoning_details: [{ type: "reasoning.text", text: BASE64, signature: "sig" }],
    }));
    expect(fitsContext("chat", said.body(1), 128_000)).toBe(false);
    const longId = {
      model: "m",
      messages: [{ role: "tool", tool_call_id: `${BASE64}__ts_c2ln`, content: "" }],
    };
    expect(fitsContext("chat", longId, 128_000)).toBe(false);
  });

  test("a token count always fits: counting a conversation too long for the window is what it is for", () => {
    expect(fitsContext("count_tokens", bigBody(900_000), 200_000)).toBe(true);
  });
});

describe("fallbackClassOf", () => {
  test("context length, rate limits and content policy refusals are named; other faults are not", () => {
    expect(fallbackClassOf(tooLong())).toBe("context_length");
    expect(fallbackClassOf(new GatewayError({ status: 429, code: "rate_limited", message: "slow" }))).toBe(
      "rate_limit",
    );
    const filtered = new GatewayError({
      status: 400,
      code: "invalid_request",
      message:
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
    });
    expect(fallbackClassOf(filtered)).toBe("content_policy");
    expect(
      fallbackClassOf(new GatewayError({ status: 400, code: "invalid_request", message: "bad temperature" })),
    ).toBeUndefined();
  });
});

describe("context-aware routing", () => {
  const config = (fallbackOn: string[] = []) => ({
    providers: [
      { name: "small", type: "openai", base_url: "http://127.0.0.1:1/v1" },
      { name: "large", type: "openai", base_url: "http://127.0.0.1:1/v1" },
    ],
    models: [
      {
        name: "m",
        fallback_on: fallbackOn,
        routes: [
          { provider: "small", model: "s", context_window: 100 },
          { provider: "large", model: "l", context_window: 10_000 },
        ],
      },
    ],
    routing: { retries: 2, backoff: "1ms" },
  });

  test("a route whose window cannot hold the prompt is skipped before any attempt", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const dispatched = await router(chatRequest("m", { body: bigBody(2000) }));
    expect(dispatched.route).toBe("provider:large");
    expect(small.calls.length).toBe(0);
    expect(large.calls.length).toBe(1);
  });

  test("when no route can hold it, the caller gets 400 context_length_exceeded, and no upstream is called", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const error = await router(chatRequest("m", { body: bigBody(50_000) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect([
      (error as GatewayError).status,
      (error as GatewayError).code,
      (error as GatewayError).param,
    ]).toEqual([400, "context_length_exceeded", "messages"]);
    expect(small.calls.length + large.calls.length).toBe(0);
    // A Responses caller's conversation is its `input`.
    const responses = { model: "m", input: "x".repeat(50_000) };
    const asked = chatRequest("m", { operation: "responses", body: responses });
    expect(((await router(asked).catch((e: unknown) => e)) as GatewayError).param).toBe("input");
    // The estimate's numbers (50,004 characters with the role's, 12,501 tokens) against the largest window passed
    // over; to an Anthropic caller, the words Claude Code compacts a conversation on.
    expect((error as GatewayError).message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 12501 tokens",
    );
    expect(anthropicWireError(error as GatewayError).message).toBe(
      "prompt is too long: 12501 tokens > 10000 maximum",
    );
  });

  test("images count 1,600 tokens each, their base64 never: a photo goes where the window holds it, and a refusal says so", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const photos = (count: number) => chatRequest("m", { body: chatWith(PHOTO).body(count) });
    // A megabyte of base64 on a window of 10,000 tokens: no text to count, one image.
    expect((await router(photos(1))).route).toBe("provider:large");
    expect(small.calls.length).toBe(0);
    // Seven are 11,200 tokens, and the role's word one more.
    const error = (await router(photos(7)).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 11201 tokens",
    );
    expect(large.calls.length).toBe(1);
  });

  test("a text file too long for a route's window skips it: a 60 KB CSV is 15,000 tokens, not 2,300", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const csv = `data:text/csv;base64,${Buffer.from("x".repeat(60_000)).toString("base64")}`;
    const body = chatWith({ type: "file", file: { filename: "t.csv", file_data: csv } }).body(1);
    const error = (await router(chatRequest("m", { body })).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 15001 tokens",
    );
    expect(small.calls.length + large.calls.length).toBe(0);
  });

  test("a prompt that fits but not with the answer asked for: the answer counted apart, and Anthropic's max_tokens words", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    // 501 tokens of prompt fit either window; with max_tokens 20,000 they fit neither (Claude Code
    // asks for 128,000 on a 131,072-token route).
    const request = chatRequest("m", { body: bigBody(2000, { max_tokens: 20_000 }) });
    const error = (await router(request).catch((e: unknown) => e)) as GatewayError;
    expect([error.status, error.code]).toEqual([400, "context_length_exceeded"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, you requested 20501 tokens (501 in the messages, 20000 in the completion)",
    );
    expect(anthropicWireError(error)).toEqual({
      type: "invalid_request_error",
      message:
        "input length and `max_tokens` exceed context limit: 501 + 20000 > 10000, decrease input length or `max_tokens` and try again",
    });
    expect(small.calls.length + large.calls.length).toBe(0);
  });

  test("a batch whose inputs fit each alone goes upstream; one input too long is refused with the longest one's estimate", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const embeddings = (input: string[]) =>
      chatRequest("m", { operation: "embeddings", body: { model: "m", input } });
    // Fifty inputs of 300 characters: 3,750 tokens together, 75 each: the small route holds each.
    expect((await router(embeddings(texts(50, 300)))).route).toBe("provider:small");
    expect(small.calls.length).toBe(1);
    const error = (await router(embeddings([...texts(5, 300), "x".repeat(50_000)])).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect([error.status, error.code, error.param]).toEqual([400, "context_length_exceeded", "input"]);
    expect(error.message).toStartWith(
      "This model's maximum context length is 10000 tokens. However, your messages resulted in 12500 tokens",
    );
    expect(small.calls.length + large.calls.length).toBe(1);
  });

  test("a route too small and one that could hold the prompt out of service: a 503 saying when to come back, not the 400 to shorten it", async () => {
    const small = fakeProvider("small");
    const large = fakeProvider("large", () =>
      Promise.reject(upstreamFailure("large", { status: 503, headers: new Headers(), text: "{}" })),
    );
    const breaker = { retries: 0, circuit_breaker: { failures: 1, cooldown: "30s" } };
    const { router, health } = routerFor({ ...config(), routing: breaker }, [small, large]);
    await router(chatRequest("m", { body: bigBody(2000) })).catch(() => {});
    expect(health.isOpen("large/l")).toBe(true);
    const error = (await router(chatRequest("m", { body: bigBody(2000) })).catch(
      (e: unknown) => e,
    )) as GatewayError;
    expect([error.status, error.code, error.headers]).toEqual([
      503,
      "no_route_available",
      { "retry-after": "30" },
    ]);
    expect([small.calls.length, large.calls.length]).toEqual([0, 1]);
  });

  test("a token count goes to its first route whatever its window: the count is the answer, never a 400", async () => {
    const counted = { input_tokens: 12_510 };
    const small = {
      ...fakeProvider("small", () => Promise.resolve(jsonReply(counted))),
      dialect: "anthropic" as const,
    };
    const { router } = routerFor(config(), [small, fakeProvider("large")]);
    // 12,501 tokens by the estimate, on a route of 100.
    const dispatched = await router(chatRequest("m", { operation: "count_tokens", body: bigBody(50_000) }));
    expect([dispatched.route, dispatched.reply]).toEqual(["provider:small", { kind: "json", body: counted }]);
    expect(small.calls.length).toBe(1);
  });

  test("an upstream's context_length_exceeded fails over at once with fallback_on, without retrying the route", async () => {
    const small = fakeProvider("small", () => Promise.reject(tooLong()));
    const large = fakeProvider("large", () => Promise.resolve(jsonReply({ id: "ok", choices: [] })));
    const { router } = routerFor(config(["context_length"]), [small, large]);
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:large");
    expect(small.calls.length).toBe(1);
  });

  test("an upstream's context_length_exceeded rules out the routes whose window is no larger: skipped with no call", async () => {
    const config = {
      providers: ["first", "narrower", "wider"].map((name) => ({ name, type: "openai" })),
      models: [
        {
          name: "m",
          fallback_on: ["context_length"],
          routes: [
            { provider: "first", model: "f", context_window: 10_000 },
            { provider: "narrower", model: "n", context_window: 8_000 },
            { provider: "wider", model: "w", context_window: 100_000 },
          ],
        },
      ],
    };
    const first = fakeProvider("first", () => Promise.reject(tooLong()));
    const narrower = fakeProvider("narrower");
    const wider = fakeProvider("wider", () => Promise.resolve(jsonReply({ id: "ok", choices: [] })));
    const { router } = routerFor(config, [first, narrower, wider]);
    // The estimate fits every window: only the refusal rules the narrower route out.
    const dispatched = await router(chatRequest("m"));
    expect(dispatched.route).toBe("provider:wider");
    expect([first.calls.length, narrower.calls.length, wider.calls.length]).toEqual([1, 0, 1]);
  });

  test("without fallback_on the upstream's refusal is the caller's answer", async () => {
    const small = fakeProvider("small", () => Promise.reject(tooLong()));
    const large = fakeProvider("large");
    const { router } = routerFor(config(), [small, large]);
    const error = await router(chatRequest("m")).catch((e: unknown) => e);
    expect((error as GatewayError).code).toBe("context_length_exceeded");
    expect(large.calls.length).toBe(0);
  });
});
