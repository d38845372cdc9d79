import { beforeAll, describe, expect, test } from "bun:test";
import { agreementOf, normalise, similarity } from "./agreement.ts";
import { type Answer, AnswerStream, answerFromJson } from "./answer.ts";
import { loadSchemaCheck } from "./schema-check.ts";
import { shadowSchemas } from "./shadow-api-schema.ts";
import { answerFromSseText } from "./sse-answer-reader.ts";

// Ajv is loaded before a schema is judged (agreement.ts, `agreementReady`), as the runner does.
beforeAll(loadSchemaCheck);

const text = (t: string, finish: string | null = "stop"): Answer => ({ text: t, toolCalls: [], finish });

describe("agreement measures on a pair", () => {
  test("exact and similar: the same words are 1, case and punctuation folded for similarity only", () => {
    expect(agreementOf({}, text("Paris is the capital."), text("Paris is the capital."))).toMatchObject({
      exact: true,
      similarity: 1,
    });
    const folded = agreementOf({}, text("Paris is the capital."), text("paris   is the CAPITAL"));
    expect(folded.exact).toBe(false);
    expect(folded.similarity).toBe(1);
    const unrelated = agreementOf({}, text("the cat sat on the mat"), text("stocks fell sharply today"));
    expect(unrelated.similarity).toBe(0);
    const partial = similarity("the cat sat on the mat", "the cat sat on a mat");
    expect(partial).toBeGreaterThan(0.4);
    expect(partial).toBeLessThan(1);
  });

  test("a primary answer cut at the capture bound (capture-answer.ts) is not compared: every measure null", () => {
    // Its first 32 MB against a whole candidate would say nothing of the candidate.
    const cut: Answer = { ...text("Paris is the"), cut: true };
    for (const [primary, shadow] of [
      [cut, text("Paris is the capital.")],
      [cut, text("Paris is the")],
    ] as const)
      expect(agreementOf({}, primary, shadow)).toEqual({
        exact: null,
        similarity: null,
        primaryJsonValid: null,
        shadowJsonValid: null,
        toolsAgree: null,
        finishAgrees: null,
      });
  });

  test("a one-word answer is compared word by word with the other: its word against bigrams never matched", () => {
    expect(similarity("Paris", "Paris, France")).toBeCloseTo(2 / 3, 10);
    expect(similarity("Yes.", "Yes, it is.")).toBeCloseTo(2 / 4, 10);
    expect(similarity("Yes", "No")).toBe(0);
    expect(similarity("No", "Yes, it is.")).toBe(0);
    // One character of an unspaced script, likewise.
    expect(similarity("是", "是的")).toBeCloseTo(2 / 3, 10);
    // Two words or more on both sides: bigrams, as before.
    expect(similarity("Paris, France", "Paris, Texas")).toBe(0);
  });

  test("folding ASCII text with a plain character class gives what the Unicode class gives", () => {
    const reference = (t: string) =>
      t
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\s]/gu, " ")
        .replace(/\s+/g, " ")
        .trim();
    // Every ASCII character, in random texts, and texts where one non-ASCII letter changes the path.
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const ascii = Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)).join("");
    const samples = [ascii, "Ünïcode ÀB, ½ ٣ 東京!", "Paris\u00a0is\ufeffhere", "MiXeD Case\tand\n\vlines"];
    for (let i = 0; i < 300; i++)
      samples.push(Array.from({ length: 40 }, () => String.fromCharCode(next() % 128)).join(""));
    for (const sample of samples) expect(normalise(sample)).toBe(reference(sample));
  });

  test("unspaced scripts are compared by character bigrams: one character changed is still nearly the same", () => {
    const tokyo = "東京は日本の首都であり、世界最大の都市圏の一つです。";
    const changed = "東京は日本の首都であり、世界最大の都市圏の一つだ。";
    expect(similarity(tokyo, changed)).toBeGreaterThan(0.8);
    expect(similarity(tokyo, "大阪の天気は晴れのち曇りでしょう。")).toBeLessThan(0.2);
    const thai = "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย";
    expect(similarity(thai, "กรุงเทพมหานครเป็นเมืองหลวงของไทย")).toBeGreaterThan(0.8);
    // Spaced text keeps its word bigrams: a Chinese name in an English sentence changes nothing.
    expect(similarity("the capital is 東京 today", "the capital is 東京 now")).toBe(
      similarity("the capital is tokyo today", "the capital is tokyo now"),
    );
  });

  test("marks are letters' parts, not punctuation: a Devanagari vowel sign changes the word", () => {
    // काम (work) and कम (less) differ only by the vowel sign ा.
    expect(normalise("यह काम है")).toBe("यह काम है");
    expect(similarity("यह काम है", "यह कम है")).toBeLessThan(1);
    expect(similarity("यह काम है।", "यह काम है")).toBe(1);
  });

  test("tool calls agree only with the same tools and the same parsed arguments, in order", () => {
    const call = (name: string, args: unknown) => ({
      text: "",
      toolCalls: [{ name, arguments: args }],
      finish: "tool_calls",
    });
    expect(
      agreementOf({}, call("get_weather", { city: "Paris" }), call("get_weather", { city: "Paris" }))
        .toolsAgree,
    ).toBe(true);
    expect(
      agreementOf({}, call("get_weather", { city: "Paris" }), call("get_weather", { city: "Rome" }))
        .toolsAgree,
    ).toBe(false);
    expect(agreementOf({}, call("get_weather", {}), call("get_time", {})).toolsAgree).toBe(false);
    expect(agreementOf({}, text("a"), text("a")).toolsAgree).toBeNull();
  });

  test("a failed side gives no measures", () => {
    expect(agreementOf({}, text("a"), null)).toEqual({
      exact: null,
      similarity: null,
      primaryJsonValid: null,
      shadowJsonValid: null,
      toolsAgree: null,
      finishAgrees: null,
    });
  });

  test("the finish counts: the same words cut off by the token limit are not the same answer", () => {
    const cut = agreementOf({}, text("the same words", "stop"), text("the same words", "length"));
    expect(cut).toMatchObject({ exact: false, similarity: 1, finishAgrees: false });
    expect(agreementOf({}, text("a", "stop"), text("a", "stop"))).toMatchObject({
      exact: true,
      finishAgrees: true,
    });
    // A side that did not say why it ended (a stream without a finish_reason) is not held against it.
    expect(agreementOf({}, text("a", "stop"), text("a", null))).toMatchObject({
      exact: true,
      finishAgrees: null,
    });
  });

  test("a refusal is compared as a refusal: not as empty text, nor as an answer", () => {
    const chatBody = (message: Record<string, unknown>, finish = "stop") => ({
      choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: finish }],
    });
    const refused = (words: string) => answerFromJson("chat", chatBody({ content: null, refusal: words }));
    const empty = answerFromJson("chat", chatBody({ content: "" }));
    // Two different refusals (OpenAI's message.refusal, content null) are not the same answer.
    const two = agreementOf({}, refused("I can't help with that."), refused("Sorry, I won't write that."));
    expect(two.exact).toBe(false);
    expect(two.similarity).toBeLessThan(1);
    // A refusal and an empty answer disagree: one refused, the other answered.
    expect(agreementOf({}, refused("I can't help with that."), empty)).toMatchObject({
      exact: false,
      similarity: 0,
    });
    // The same refusal agrees, and is compared by its words.
    expect(
      agreementOf({}, refused("I can't help with that."), refused("I can't help with that.")),
    ).toMatchObject({ exact: true, similarity: 1 });
    // Streamed, the refusal's deltas are read as a whole message's.
    const streamed = answerFromSseText(
      "chat",
      [
        { delta: { role: "assistant", refusal: "" } },
        { delta: { refusal: "I can't " } },
        { delta: { refusal: "help with that." } },
        { delta: {}, finish_reason: "stop" },
      ]
        .map((choice) => `data: ${JSON.stringify({ choices: [{ index: 0, ...choice }] })}\n\n`)
        .join(""),
    );
    expect(agreementOf({}, streamed, refused("I can't help with that."))).toMatchObject({ exact: true });
    // Responses: a refusal content part.
    const responsesRefusal = answerFromJson("responses", {
      status: "completed",
      output: [{ type: "message", content: [{ type: "refusal", refusal: "I can't help with that." }] }],
    });
    expect(agreementOf({}, responsesRefusal, refused("I can't help with that."))).toMatchObject({
      exact: true,
    });
    // Anthropic's stop_reason "refusal" (content_filter in OpenAI's words), or a content_filter
    // finish: refused without words of its own, never the same as an empty answer.
    const anthropicRefusal = answerFromJson("messages", { content: [], stop_reason: "refusal" });
    const anthropicEmpty = answerFromJson("messages", { content: [], stop_reason: "end_turn" });
    expect(agreementOf({}, anthropicRefusal, anthropicEmpty)).toMatchObject({ exact: false, similarity: 0 });
    expect(agreementOf({}, text("", "content_filter"), text("", "content_filter"))).toMatchObject({
      exact: true,
      similarity: 1,
    });
    expect(agreementOf({}, text("", "content_filter"), refused("I can't help with that."))).toMatchObject({
      exact: false,
    });
  });

  test("pairs recorded before the finish was kept read with it null", () => {
    const side = {
      route: "provider:p",
      upstreamModel: "m",
      status: 200,
      errorClass: null,
      latencyMs: 1,
      ttftMs: null,
      inputTokens: 1,
      outputTokens: 1,
      costUsd: 0,
      answer: null,
    };
    const agreement = {
      exact: true,
      similarity: 1,
      primaryJsonValid: null,
      shadowJsonValid: null,
      toolsAgree: null,
    };
    const old = { id: "p", requestId: "r", at: 1, tenant: null, keyName: null, model: "m", stream: false };
    const parsed = shadowSchemas().record.parse({ ...old, primary: side, shadow: side, agreement });
    expect([parsed.primary.finish, parsed.shadow.finish, parsed.agreement.finishAgrees]).toEqual([
      null,
      null,
      null,
    ]);
  });
});

describe("the finish, in OpenAI's words whatever the dialect", () => {
  test("chat and completions: finish_reason, whole or streamed (function_call is a tool call)", () => {
    const chat = (finish_reason: string | null) =>
      answerFromJson("chat", { choices: [{ message: { content: "x" }, finish_reason }] });
    expect(chat("length").finish).toBe("length");
    expect(chat("function_call").finish).toBe("tool_calls");
    expect(chat(null).finish).toBeNull();
    expect(answerFromJson("completions", { choices: [{ text: "x", finish_reason: "stop" }] }).finish).toBe(
      "stop",
    );
    const sse = [
      'data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}',
      'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}',
      'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}',
      "data: [DONE]",
      "",
    ].join("\n\n");
    expect(answerFromSseText("chat", sse)).toEqual({ text: "x", toolCalls: [], finish: "length" });
  });

  test("Anthropic: stop_reason, whole or on message_delta (max_tokens → length, end_turn → stop)", () => {
    expect(answerFromJson("messages", { content: [], stop_reason: "max_tokens" }).finish).toBe("length");
    expect(answerFromJson("messages", { content: [], stop_reason: "end_turn" }).finish).toBe("stop");
    expect(answerFromJson("messages", { content: [], stop_reason: "tool_use" }).finish).toBe("tool_calls");
    const stream = new AnswerStream("messages");
    stream.event(
      JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "x" } }),
    );
    expect(stream.answer().finish).toBeNull();
    stream.event(JSON.stringify({ type: "message_delta", delta: { stop_reason: "max_tokens" } }));
    expect(stream.answer().finish).toBe("length");
  });

  test("Responses: completed is a stop, incomplete says why; a stream's incomplete event is read too", () => {
    const response = (status: string, reason?: string) => ({
      status,
      output: [{ type: "message", content: [{ type: "output_text", text: "x" }] }],
      incomplete_details: reason ? { reason } : null,
    });
    expect(answerFromJson("responses", response("completed")).finish).toBe("stop");
    expect(answerFromJson("responses", response("incomplete", "max_output_tokens")).finish).toBe("length");
    expect(answerFromJson("responses", response("incomplete", "content_filter")).finish).toBe(
      "content_filter",
    );
    const stream = new AnswerStream("responses");
    stream.event(
      JSON.stringify({ type: "response.incomplete", response: response("incomplete", "max_output_tokens") }),
    );
    expect(stream.answer()).toEqual({ text: "x", toolCalls: [], finish: "length" });
  });
});
