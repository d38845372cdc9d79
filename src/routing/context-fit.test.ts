import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { fitsContext } from "./context-fit.ts";
import { fallbackClassOf } from "./fallback-on.ts";
import {
  assistantTurns,
  BASE64,
  bigBody,
  call,
  chatWith,
  MEDIA,
  messagesWith,
  responsesWith,
  signed,
  texts,
  tooLong,
} from "./testing/context-bodies.ts";

// Whether a request fits a route's context window (fitsContext: texts, media, turns, signed call
// ids), and which refusals are a context-length fallback's (fallbackClassOf).

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
