import { beforeAll, describe, expect, test } from "bun:test";
import { float32Base64 } from "../translate/float32-base64.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { agreementOf, normalise, similarity } from "./agreement.ts";
import { type Answer, AnswerStream, answerFromJson } from "./answer.ts";
import { loadSchemaCheck } from "./schema-check.ts";
import { shadowSchemas } from "./shadow-api-schema.ts";
import { answerFromSseText, SseAnswerReader } from "./sse-answer-reader.ts";

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

  test("structured output: each side's JSON validity, with the schema's required keys", () => {
    const request = {
      response_format: {
        type: "json_schema",
        json_schema: { name: "x", schema: { type: "object", required: ["city"] } },
      },
    };
    const pair = agreementOf(request, text('{"city":"Paris"}'), text('{"town":"Paris"}'));
    expect([pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([true, false]);
    const loose = agreementOf({ response_format: { type: "json_object" } }, text("{}"), text("not json"));
    expect([loose.primaryJsonValid, loose.shadowJsonValid]).toEqual([true, false]);
    expect(agreementOf({}, text("{}"), text("{}")).primaryJsonValid).toBeNull();
  });

  test("structured output: the same JSON value is the same answer, whatever its spacing or key order", () => {
    // As OpenAI Evals' JsonMatch compares a JSON completion: decoded, component by component.
    const json = { response_format: { type: "json_object" } };
    const compact = text('{"city":"Paris","tags":["a","b"]}');
    const spaced = text('{\n  "tags": ["a", "b"],\n  "city": "Paris"\n}');
    expect(agreementOf(json, compact, spaced)).toMatchObject({ exact: true, similarity: 1 });
    // A value that differs, an array in another order, or a side that is no JSON is no match.
    expect(agreementOf(json, compact, text('{"city":"Rome","tags":["a","b"]}')).exact).toBe(false);
    expect(agreementOf(json, compact, text('{"city":"Paris","tags":["b","a"]}')).exact).toBe(false);
    expect(agreementOf(json, compact, text('{"city":"Paris","tags":["a","b"]')).exact).toBe(false);
    // The finish still counts, and an answer that asked for no JSON is compared by its text.
    expect(agreementOf(json, compact, text(spaced.text, "length")).exact).toBe(false);
    expect(agreementOf({}, compact, spaced).exact).toBe(false);
  });

  test("structured output is checked against the whole schema: recorded pairs that fail below the top level", () => {
    // A chat completions request as a client sent it (OpenAI structured outputs, strict mode).
    const request = {
      model: "extract",
      messages: [{ role: "user", content: "Extract the order." }],
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "order",
          strict: true,
          schema: {
            type: "object",
            additionalProperties: false,
            required: ["id", "customer", "items"],
            properties: {
              id: { type: "string", format: "uuid" },
              customer: {
                type: "object",
                additionalProperties: false,
                required: ["name", "tier"],
                properties: { name: { type: "string" }, tier: { enum: ["free", "pro"] } },
              },
              items: {
                type: "array",
                minItems: 1,
                items: { $ref: "#/$defs/item" },
              },
            },
            $defs: {
              item: {
                type: "object",
                additionalProperties: false,
                required: ["sku", "qty"],
                properties: { sku: { type: "string" }, qty: { type: "integer", minimum: 1 } },
              },
            },
          },
        },
      },
    };
    const primary = text(
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":2}]}',
    );
    // Each shadow answer has every top-level required key and parses: only a full check fails it.
    const deeper = [
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"gold"},"items":[{"sku":"A1","qty":2}]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada"},"items":[{"sku":"A1","qty":2}]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":"2"}]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[]}',
      '{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":2,"note":"x"}]}',
      '{"id":"order-7","customer":{"name":"Ada","tier":"pro"},"items":[{"sku":"A1","qty":2}]}',
    ];
    for (const answer of deeper) {
      const pair = agreementOf(request, primary, text(answer));
      expect([answer, pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([answer, true, false]);
    }
    // The Responses API's `text.format` carries the schema one level up.
    const responses = {
      text: { format: { type: "json_schema", ...request.response_format.json_schema } },
    };
    expect(agreementOf(responses, primary, text(deeper[0] ?? "")).shadowJsonValid).toBe(false);
    expect(agreementOf(responses, primary, primary).shadowJsonValid).toBe(true);
  });

  test("a schema that cannot be compiled is not judged: no validity recorded, rather than a weaker check", () => {
    const request = {
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "x",
          schema: {
            type: "object",
            required: ["a"],
            properties: { a: { $ref: "https://example.invalid/a.json" } },
          },
        },
      },
    };
    const pair = agreementOf(request, text('{"a":1}'), text('{"b":1}'));
    expect([pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([null, null]);
    // Not JSON at all is invalid whatever the schema.
    expect(agreementOf(request, text('{"a":1}'), text("nope")).shadowJsonValid).toBe(false);
  });

  test("a schema's own draft judges it: the OpenAI SDK's zodResponseFormat (draft-07), 2019-09, 2020-12", () => {
    // As `zodResponseFormat(z.object({ city: z.string(), n: z.number().int() }), "x")` writes it.
    const zodSchema = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        city: { type: "string" },
        n: { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 },
      },
      required: ["city", "n"],
      additionalProperties: false,
    };
    const asked = (schema: object) => ({
      response_format: { type: "json_schema", json_schema: { name: "x", strict: true, schema } },
    });
    const valid = text('{"city":"Paris","n":2}');
    // Every top-level key there and JSON: only the whole schema finds them wrong.
    for (const wrong of [
      '{"city":"Paris","n":"2"}',
      '{"city":"Paris","n":2.5}',
      '{"city":"Paris","n":2,"x":1}',
    ]) {
      const pair = agreementOf(asked(zodSchema), valid, text(wrong));
      expect([wrong, pair.primaryJsonValid, pair.shadowJsonValid]).toEqual([wrong, true, false]);
    }
    // Draft-07's array form of `items` (tuples), 2019-09's `$recursiveRef`: each read by its own draft.
    const tuple = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "array",
      items: [{ type: "string" }, { type: "integer" }],
    };
    expect(agreementOf(asked(tuple), text('["a",1]'), text('["a","b"]'))).toMatchObject({
      primaryJsonValid: true,
      shadowJsonValid: false,
    });
    const tree = {
      $schema: "https://json-schema.org/draft/2019-09/schema",
      $recursiveAnchor: true,
      type: "object",
      properties: { kids: { type: "array", items: { $recursiveRef: "#" } } },
      additionalProperties: false,
    };
    expect(
      agreementOf(asked(tree), text('{"kids":[{"kids":[]}]}'), text('{"kids":[{"x":1}]}')),
    ).toMatchObject({
      primaryJsonValid: true,
      shadowJsonValid: false,
    });
    const latest = { ...zodSchema, $schema: "https://json-schema.org/draft/2020-12/schema" };
    expect(agreementOf(asked(latest), valid, text('{"city":"Paris","n":"2"}')).shadowJsonValid).toBe(false);
  });

  test("Anthropic Messages structured output (output_config.format, the beta's output_format) is measured", () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer" } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    const primary = text('{"name":"Ada","age":36}');
    const shadow = text('{"name":"Ada","age":"36"}');
    for (const request of [
      { output_config: { format: { type: "json_schema", schema } } },
      { output_format: { type: "json_schema", schema } },
    ])
      expect(agreementOf(request, primary, shadow)).toMatchObject({
        primaryJsonValid: true,
        shadowJsonValid: false,
      });
    // An effort level alone asks for no structured output.
    expect(agreementOf({ output_config: { effort: "low" } }, primary, shadow).primaryJsonValid).toBeNull();
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

describe("embeddings are compared as vectors", () => {
  /** An OpenAI embeddings answer, each vector as floats or as the SDKs' default base64. */
  const embeddings = (vectors: number[][], base64 = false) => ({
    object: "list",
    data: vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector,
    })),
    model: "m",
    usage: { prompt_tokens: 2, total_tokens: 2 },
  });
  const read = (vectors: number[][], base64 = false) =>
    answerFromJson("embeddings", embeddings(vectors, base64));

  test("vectors of different lengths, or a different count of them, are not the same answer", () => {
    // The audit's pair: 4 dimensions against 8, which read as the same empty text before.
    const four = read([[0.5, 0.5, 0.5, 0.5]]);
    const eight = read([[0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0]]);
    expect(agreementOf({}, four, eight)).toEqual({
      exact: false,
      similarity: 0,
      primaryJsonValid: null,
      shadowJsonValid: null,
      toolsAgree: null,
      finishAgrees: null,
    });
    expect(
      agreementOf(
        {},
        four,
        read([
          [0.5, 0.5, 0.5, 0.5],
          [1, 0, 0, 0],
        ]),
      ),
    ).toMatchObject({
      exact: false,
      similarity: 0,
    });
    // As a pair shows the answers: what the vectors are, not their numbers.
    expect([four.text, eight.text]).toEqual(["1 vector of 4 dimensions", "1 vector of 8 dimensions"]);
  });

  test("the same vectors are exact; others agree by their mean cosine similarity", () => {
    const x = [1, 0];
    const y = [0, 1];
    expect(agreementOf({}, read([x, y]), read([x, y]))).toMatchObject({ exact: true, similarity: 1 });
    // One pair the same (1), one at right angles (0): 0.5; one pointing apart counts as 0.
    const half = agreementOf({}, read([x, y]), read([x, x]));
    expect(half).toMatchObject({ exact: false, similarity: 0.5 });
    expect(agreementOf({}, read([[1, 0]]), read([[-1, 0]])).similarity).toBe(0);
    const close = agreementOf({}, read([[0.6, 0.8]]), read([[0.8, 0.6]]));
    expect(close.similarity).toBeCloseTo(0.96, 12);
    expect(close.exact).toBe(false);
  });

  test("floats from a server that ignored base64 are the same vectors as the client's base64 of them: compared as float32", () => {
    // Ollama's OpenAI API and older llama.cpp answer number arrays to `encoding_format: "base64"`;
    // the client is sent them as base64 float32 (translate/base64-embeddings.ts), the copy's are read as sent.
    const numbers = [0.1, -0.2, 0.3, 1 / 3];
    const client = answerFromJson("embeddings", { data: [{ index: 0, embedding: float32Base64(numbers) }] });
    const copy = answerFromJson("embeddings", { data: [{ index: 0, embedding: numbers }] });
    expect(agreementOf({}, client, copy)).toMatchObject({ exact: true, similarity: 1 });
    expect(agreementOf({}, copy, client)).toMatchObject({ exact: true, similarity: 1 });
    // Beyond float32's precision they are no different; past it they are.
    const other = answerFromJson("embeddings", { data: [{ index: 0, embedding: [0.1, -0.2, 0.3, 0.3334] }] });
    expect(agreementOf({}, client, other).exact).toBe(false);
  });

  test("an answer whose vectors cannot all be read has nothing to compare: never an exact match", () => {
    const withEntries = (...embeddings: unknown[]) =>
      answerFromJson("embeddings", {
        object: "list",
        data: embeddings.map((embedding, index) => ({ object: "embedding", index, embedding })),
      });
    const nothing = { exact: null, similarity: null };
    // Two unreadable answers (a null in a list, an object, null) were exact, similarity 1.
    expect(agreementOf({}, withEntries([0.1, null]), withEntries({ values: [9] }))).toMatchObject(nothing);
    expect(agreementOf({}, withEntries(null), withEntries(null))).toMatchObject(nothing);
    expect(agreementOf({}, withEntries([]), withEntries("AA"))).toMatchObject(nothing);
    // Two answers without `data` (an error body in its place) were exact too.
    const none = answerFromJson("embeddings", { object: "list" });
    expect(agreementOf({}, none, answerFromJson("embeddings", { error: "x" }))).toMatchObject(nothing);
    // One readable beside one that is not: they differ, by how much is not known.
    const readable = read([[1, 0]]);
    expect(agreementOf({}, readable, withEntries(null))).toMatchObject({ exact: false, similarity: null });
    // A hole among vectors leaves nothing to pair by position.
    expect(
      agreementOf(
        {},
        read([
          [1, 0],
          [0, 1],
        ]),
        withEntries([1, 0], null),
      ),
    ).toMatchObject({
      exact: false,
      similarity: null,
    });
    expect(none.text).toBe("no vectors");
  });

  test("base64 answers are decoded (float32, little-endian), in index order", () => {
    const floats = [
      [0.25, -0.5, 0.125],
      [1, 0, -1],
    ];
    const decoded = read(floats, true);
    expect(decoded.vectors?.map((vector) => Array.from(vector))).toEqual(floats);
    expect(agreementOf({}, read(floats), decoded)).toMatchObject({ exact: true, similarity: 1 });
    const shuffled = embeddings(floats);
    shuffled.data.reverse();
    expect(answerFromJson("embeddings", shuffled).vectors).toEqual(floats);
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

describe("reading answers in each dialect", () => {
  test("OpenAI chat: JSON and a stream read the same answer, tool arguments joined across deltas", () => {
    const json = answerFromJson("chat", {
      choices: [
        {
          message: {
            content: "hi there",
            tool_calls: [{ function: { name: "f", arguments: '{"a":1}' } }],
          },
        },
      ],
    });
    const sse = [
      'data: {"choices":[{"delta":{"content":"hi"}}]}',
      'data: {"choices":[{"delta":{"content":" there","tool_calls":[{"index":0,"function":{"name":"f","arguments":"{\\"a\\""}}]}}]}',
      'data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}',
      "data: [DONE]",
      "",
    ].join("\n\n");
    expect(answerFromSseText("chat", sse)).toEqual(json);
    expect(json).toEqual({ text: "hi there", toolCalls: [{ name: "f", arguments: { a: 1 } }], finish: null });
  });

  test("n > 1: a stream's chunks for other choices are not mixed into choice 0, as a whole body reads it", () => {
    const json = answerFromJson("chat", {
      choices: [
        { index: 0, message: { content: "one two" } },
        { index: 1, message: { content: "uno dos" } },
      ],
    });
    const chunk = (choices: object[]) => `data: ${JSON.stringify({ choices })}`;
    const sse = [
      chunk([{ index: 1, delta: { content: "uno" } }]),
      chunk([{ index: 0, delta: { content: "one" } }]),
      chunk([
        { index: 1, delta: { content: " dos" } },
        { index: 0, delta: { content: " two" } },
      ]),
      "data: [DONE]",
      "",
    ].join("\n\n");
    expect(json.text).toBe("one two");
    expect(answerFromSseText("chat", sse)).toEqual(json);
    const stream = new AnswerStream("chat");
    for (const event of sse.split("\n\n")) if (event) stream.event(event.slice("data: ".length));
    expect(stream.answer()).toEqual(json);
  });

  test("a stream's events are read together; a malformed event or CRLF lines are read around", () => {
    const events = ["hi", " there", "!"].map((t) => `data: {"choices":[{"delta":{"content":"${t}"}}]}`);
    expect(answerFromSseText("chat", [...events, "data: [DONE]", ""].join("\r\n\r\n")).text).toBe(
      "hi there!",
    );
    // One event that is no JSON: the slice cannot be read as one array, so each event is read alone.
    const broken = [events[0], "data: {not json", events[1], events[2], ""].join("\n\n");
    expect(answerFromSseText("chat", broken).text).toBe("hi there!");
    // Data split over two lines of one event (legal SSE): joined before it is parsed.
    const split = 'data: {"choices":[{"delta":\ndata: {"content":"joined"}}]}\n\n';
    expect(answerFromSseText("chat", split).text).toBe("joined");
  });

  test("a plain OpenAI stream is parsed as one array; every shape reads as it does event by event", () => {
    // The reference: each event's data lines joined, parsed alone, usage read off each.
    const byEvent = (text: string) => {
      const stream = new AnswerStream("chat");
      const meter = new StreamUsageMeter("openai");
      for (const block of text.split(/\r?\n\r?\n/)) {
        const data = block
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data === "") continue;
        stream.event(data);
        meter.observe({ data });
      }
      return { answer: stream.answer(), usage: meter.usage };
    };
    const delta = (content: string) => `data: {"choices":[{"index":0,"delta":{"content":"${content}"}}]}`;
    const usage = 'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}';
    const tool = `data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]}}]}`;
    const streams = [
      [delta("a"), delta(" b"), usage, "data: [DONE]", ""].join("\n\n"),
      [delta("a"), delta(" b"), usage].join("\n\n"),
      [delta("a"), tool, "data: [DONE]", "", ""].join("\n\n"),
      [delta("only")].join(""),
      // Shapes the one-array reading refuses: each is read line by line instead.
      [delta("a"), ": keep-alive", delta("b"), ""].join("\n\n"),
      [`event: x\n${delta("a")}`, delta("b"), ""].join("\n\n"),
      [delta("a"), "data: [DONE]", delta("after"), ""].join("\n\n"),
      [delta("a"), "data: 1,2", delta("b"), ""].join("\n\n"),
      [delta("a"), "data: {}, {}", delta("b"), ""].join("\n\n"),
      [delta("a"), 'data: {"choices":[{"delta":\n{"content":"x"}}]}', delta("b"), ""].join("\n\n"),
      [delta("a"), "data:", delta("b"), ""].join("\n\n"),
      [delta("a"), delta("b"), ""].join("\r\n\r\n"),
      "data: [DONE]\n\n",
      "",
    ];
    for (const text of streams) {
      const reader = new SseAnswerReader("chat", "openai");
      reader.push(text);
      expect(reader.finish()).toEqual(byEvent(text));
    }
    const reader = new SseAnswerReader("chat", "openai");
    reader.push(streams[0] as string);
    expect(reader.finish()).toEqual({
      answer: { text: "a b", toolCalls: [], finish: null },
      usage: { inputTokens: 3, outputTokens: 2 },
    });
  });

  test("Anthropic messages: text and tool_use blocks, streamed with input_json_delta", () => {
    const json = answerFromJson("messages", {
      content: [
        { type: "text", text: "ok" },
        { type: "tool_use", name: "f", input: { a: 1 } },
      ],
    });
    const stream = new AnswerStream("messages");
    for (const event of [
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "ok" } },
      { type: "content_block_start", index: 1, content_block: { type: "tool_use", name: "f", input: {} } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"a":' } },
      { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } },
    ])
      stream.event(JSON.stringify(event));
    expect(stream.answer()).toEqual(json);
  });

  test("Anthropic's server tools (web search) are no tool calls, streamed as whole: their input_json_delta is not read as one", () => {
    // The API streams a server_tool_use block's input as input_json_delta too; a whole answer's
    // server_tool_use block is no `tool_use`, so neither is the stream's.
    const content = [
      { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "weather" } },
      { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] },
      { type: "text", text: "Sunny." },
    ];
    const json = answerFromJson("messages", { content, stop_reason: "end_turn" });
    const stream = new AnswerStream("messages");
    for (const event of [
      {
        type: "content_block_start",
        index: 0,
        content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '{"query":' },
      },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: '"weather"}' },
      },
      { type: "content_block_start", index: 1, content_block: content[1] },
      { type: "content_block_start", index: 2, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "Sunny." } },
      { type: "message_delta", delta: { stop_reason: "end_turn" } },
    ])
      stream.event(JSON.stringify(event));
    expect(stream.answer()).toEqual(json);
    expect(json.toolCalls).toEqual([]);
    // A candidate that answered the same without searching agrees: no tools on either side.
    const measures = agreementOf({}, stream.answer(), text("Sunny."));
    expect(measures.toolsAgree).toBeNull();
    expect(measures.exact).toBe(true);
  });

  test("a tool called with no arguments reads as {} streamed as whole: Anthropic's empty input_json_delta, an empty arguments text", () => {
    // Anthropic streams a tool_use without input as `input: {}` and one empty partial_json; the
    // SDK's MessageStream keeps the `{}` (it parses only a buffer with text in it).
    const json = answerFromJson("messages", { content: [{ type: "tool_use", name: "now", input: {} }] });
    const stream = new AnswerStream("messages");
    for (const event of [
      { type: "content_block_start", index: 0, content_block: { type: "tool_use", name: "now", input: {} } },
      { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "" } },
    ])
      stream.event(JSON.stringify(event));
    expect(stream.answer()).toEqual(json);
    // A chat answer whose upstream sent the arguments empty agrees with one that sent `{}`.
    const call = (args: string) => ({
      choices: [
        { message: { tool_calls: [{ type: "function", function: { name: "now", arguments: args } }] } },
      ],
    });
    const empty = answerFromJson("chat", call(""));
    expect(empty.toolCalls).toEqual(answerFromJson("chat", call("{}")).toolCalls);
    expect(agreementOf({}, empty, answerFromJson("chat", call("{}"))).toolsAgree).toBe(true);
  });

  test("Responses: output_text and function_call items; a stream's completed event wins", () => {
    const response = {
      output: [
        { type: "message", content: [{ type: "output_text", text: "done" }] },
        { type: "function_call", name: "f", arguments: '{"a":1}' },
      ],
    };
    expect(answerFromJson("responses", response)).toEqual({
      text: "done",
      toolCalls: [{ name: "f", arguments: { a: 1 } }],
      finish: null,
    });
    const stream = new AnswerStream("responses");
    stream.event(JSON.stringify({ type: "response.output_text.delta", delta: "do" }));
    stream.event(JSON.stringify({ type: "response.completed", response }));
    expect(stream.answer().toolCalls).toHaveLength(1);
  });
});

test("a client's catastrophic `pattern` is not run on the gateway: the answer is judged by the rest", async () => {
  const { satisfiesSchema } = await import("./schema-check.ts");
  const schema = {
    type: "object",
    properties: { id: { type: "string", pattern: "^(a+)+$", maxLength: 64 } },
    required: ["id"],
  };
  // Were the pattern applied, this answer would fail it (and a longer one would backtrack for
  // minutes): it passes because only type and length are judged.
  expect(satisfiesSchema(schema, { id: `${"a".repeat(20)}!` })).toBe(true);
  expect(satisfiesSchema(schema, { id: "x".repeat(65) })).toBe(false);
});
