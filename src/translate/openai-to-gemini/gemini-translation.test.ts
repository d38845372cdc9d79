import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { Usage } from "../../core/usage.ts";
import { finishOrFailure } from "../../testing/finish-or-failure.ts";
import { messagesRequestToChat } from "../anthropic-to-openai/messages-request-to-chat.ts";
import { nameUncarried } from "../chat-target.ts";
import { Dropped } from "../dropped.ts";
import { collect, jsonFixture, payloads, replay, sseFixture } from "../fixtures/load-fixture.ts";
import { translateStream } from "../stream/stream-driver.ts";
import { chatRequestToGemini, GEMINI_TARGET } from "./chat-request-to-gemini.ts";
import { geminiResponseToChat } from "./gemini-response-to-chat.ts";
import { GeminiChunkWriter, geminiEventReader } from "./gemini-stream-to-chat.ts";

const googleErrors = jsonFixture("gemini/errors.json");

type OpenAIToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

describe("chat request → Gemini generateContent", () => {
  test("system instruction, model turns, function calls and responses by name, settings", () => {
    const out = chatRequestToGemini({
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: "checking",
          tool_calls: [
            { id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: "tool", tool_call_id: "c1", content: '{"temp_c":18}' },
        { role: "tool", tool_call_id: "c1", content: "plain text" },
      ],
      tools: [
        {
          type: "function",
          function: { name: "get_weather", description: "w", parameters: { type: "object" } },
        },
      ],
      tool_choice: "required",
      max_tokens: 64,
      seed: 4,
      reasoning_effort: "low",
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    });
    expect(out).toEqual({
      contents: [
        { role: "user", parts: [{ text: "weather?" }] },
        {
          role: "model",
          parts: [
            { text: "checking" },
            {
              functionCall: { id: "c1", name: "get_weather", args: { city: "Paris" } },
              // A call Gemini did not sign as it stands: Google's placeholder, so Gemini 3 takes it.
              thoughtSignature: "skip_thought_signature_validator",
            },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { id: "c1", name: "get_weather", response: { temp_c: 18 } } },
            { functionResponse: { id: "c1", name: "get_weather", response: { result: "plain text" } } },
          ],
        },
      ],
      systemInstruction: { parts: [{ text: "be brief" }] },
      generationConfig: {
        maxOutputTokens: 64,
        seed: 4,
        responseMimeType: "application/json",
        responseJsonSchema: { type: "object" },
        thinkingConfig: { thinkingBudget: 1024 },
      },
      tools: [
        {
          functionDeclarations: [
            { name: "get_weather", description: "w", parametersJsonSchema: { type: "object" } },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY" } },
    });
  });

  /** The `thinkingConfig` `reasoning_effort` becomes on `model`. */
  const thinkingOn = (model: string, effort: string) =>
    (
      chatRequestToGemini({
        model,
        messages: [{ role: "user", content: "hi" }],
        reasoning_effort: effort,
      }) as { generationConfig?: { thinkingConfig?: JsonObject } }
    ).generationConfig?.thinkingConfig;

  test("reasoning_effort none/minimal on Gemini 2.5: thinking off (budget 0) where the model can; a Pro model's least budget", () => {
    const budget = (model: string, effort: string) => thinkingOn(model, effort)?.thinkingBudget;
    expect(budget("gemini-2.5-flash", "minimal")).toBe(0);
    expect(budget("gemini-2.5-flash-lite", "none")).toBe(0);
    // 2.5 Pro takes 128–32768: 0 is its 400.
    expect(budget("gemini-2.5-pro", "minimal")).toBe(128);
    expect(budget("gemini-2.5-pro", "none")).toBe(128);
    expect(budget("gemini-2.5-pro", "low")).toBe(1024);
    // xhigh (and Anthropic's max) the most 2.5 Flash takes, as high.
    expect([budget("gemini-2.5-flash", "xhigh"), budget("gemini-2.5-pro", "max")]).toEqual([24576, 24576]);
    // A name without its generation gets a budget, which Gemini 3 takes too.
    expect(thinkingOn("gemini-flash-latest", "high")).toEqual({ thinkingBudget: 24576 });
  });

  test("reasoning_effort on Gemini 3 and later: a thinkingLevel (never a budget), one the model has", () => {
    const levels = (model: string) =>
      ["none", "minimal", "low", "medium", "high", "xhigh", "max"].map((effort) => {
        const thinking = thinkingOn(model, effort);
        expect(Object.keys(thinking ?? {})).toEqual(["thinkingLevel"]);
        return thinking?.thinkingLevel;
      });
    const all = ["minimal", "minimal", "low", "medium", "high", "high", "high"];
    expect(levels("gemini-3-flash-preview")).toEqual(all);
    expect(levels("gemini-3.1-flash-lite")).toEqual(all);
    expect(levels("gemini-3.5-flash")).toEqual(all);
    // Pro only works in thinking mode (no minimal); 3 Pro has low and high alone, 3.1 Pro medium too.
    expect(levels("gemini-3-pro-preview")).toEqual(["low", "low", "low", "high", "high", "high", "high"]);
    expect(levels("gemini-3.1-pro-preview")).toEqual(["low", "low", "low", "medium", "high", "high", "high"]);
  });

  test("an effort of no known name, or none at all, sends no thinkingConfig", () => {
    expect(thinkingOn("gemini-3-flash-preview", "turbo")).toBeUndefined();
    expect(thinkingOn("gemini-2.5-flash", "turbo")).toBeUndefined();
    const out = chatRequestToGemini({
      model: "gemini-3-flash-preview",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(out.generationConfig).toBeUndefined();
  });

  test("files: a PDF's data inline, a document by URL (a Messages caller's) as fileData Gemini fetches", () => {
    const out = chatRequestToGemini({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBERi0=" } },
            { type: "file", file: { filename: "b", file_url: "https://x.test/report?v=2" } },
            { type: "file", file: { filename: "c.pdf", file_url: "https://x.test/c.pdf" } },
          ],
        },
      ],
    }) as { contents: { parts: JsonObject[] }[] };
    expect(out.contents[0]?.parts).toEqual([
      { inlineData: { mimeType: "application/pdf", data: "JVBERi0=" } },
      { fileData: { mimeType: "application/pdf", fileUri: "https://x.test/report?v=2" } },
      { fileData: { mimeType: "application/pdf", fileUri: "https://x.test/c.pdf" } },
    ]);
  });

  test("a data: URL Gemini cannot take inline (not base64, or naming no type) is a 400 saying so", () => {
    const refused = (url: string, type = "file") => {
      const part = type === "file" ? { type, file: { file_data: url } } : { type, image_url: { url } };
      try {
        chatRequestToGemini({ model: "m", messages: [{ role: "user", content: [part] }] });
      } catch (error) {
        return [(error as GatewayError).param, (error as Error).message];
      }
    };
    expect(refused("data:text/plain,hello")).toEqual([
      "messages.0.content.0",
      'messages.0.content.0: part "file" holds text/plain in a data: URL that is not base64-encoded (no ";base64,"): send its bytes as base64',
    ]);
    expect(refused("data:image/svg+xml,%3Csvg%2F%3E", "image_url")).toEqual([
      "messages.0.content.0",
      'messages.0.content.0: part "image_url" holds image/svg+xml in a data: URL that is not base64-encoded (no ";base64,"): send its bytes as base64',
    ]);
    expect(refused("data:;base64,JVBERi0=")).toEqual([
      "messages.0.content.0",
      'messages.0.content.0: part "file" holds a data: URL that names no media type: name it (data:application/pdf;base64,…)',
    ]);
  });

  test("audio (input_audio) is inlineData of its format; one without data or of a format Gemini has not is a 400", () => {
    const audio = (input_audio: object) => ({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "transcribe" },
            { type: "input_audio", input_audio },
          ],
        },
      ],
    });
    const out = chatRequestToGemini(audio({ data: "UklGRg==", format: "wav" })) as {
      contents: { parts: JsonObject[] }[];
    };
    expect(out.contents[0]?.parts).toEqual([
      { text: "transcribe" },
      { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
    ]);
    const refused = (input_audio: object) => {
      try {
        chatRequestToGemini(audio(input_audio));
      } catch (error) {
        return error instanceof GatewayError ? [error.status, error.param] : error;
      }
      return "translated";
    };
    expect(refused({ format: "mp3" })).toEqual([400, "messages.0.content.1.input_audio.data"]);
    expect(refused({ data: "AAAA", format: "opus" })).toEqual([
      400,
      "messages.0.content.1.input_audio.format",
    ]);
  });

  test("an image's detail has no place on Gemini: named (or refused) as on every target; a file by OpenAI id named and left out", () => {
    const body = {
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "https://x.test/cat.png", detail: "high" } },
            { type: "image_url", image_url: { url: "https://x.test/dog.png", detail: "auto" } },
            { type: "file", file: { file_id: "file-abc" } },
          ],
        },
      ],
    };
    const dropped = new Dropped();
    nameUncarried(body, GEMINI_TARGET, dropped);
    expect(dropped.list).toEqual(["messages.content.image_url.detail", "messages.content.file.file_id"]);
    expect((chatRequestToGemini(body) as { contents: { parts: JsonObject[] }[] }).contents[0]?.parts).toEqual(
      [
        { fileData: { mimeType: "image/png", fileUri: "https://x.test/cat.png" } },
        { fileData: { mimeType: "image/png", fileUri: "https://x.test/dog.png" } },
      ],
    );
    expect(() => nameUncarried(body, GEMINI_TARGET, new Dropped("reject"))).toThrow(
      "messages.0.content.0.image_url.detail: messages.content.image_url.detail cannot be translated",
    );
  });

  test("a tool result for a call never made is the caller's 400", () => {
    const run = () =>
      chatRequestToGemini({ model: "m", messages: [{ role: "tool", tool_call_id: "nope", content: "x" }] });
    expect(run).toThrow(GatewayError);
    expect(run).toThrow("messages.0.tool_call_id");
  });
});

describe("Gemini 3's thought signatures, carried in the tool-call id", () => {
  // Standard base64 with the characters base64url replaces and padding: it must come back byte for byte.
  const SIGNATURE = "++++CiIBVKhc7oXs/w==";
  const signed = (parts: object[]) => ({
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP" }],
  });
  const callsOf = (chat: JsonObject) =>
    (chat as { choices: { message: { tool_calls: OpenAIToolCall[] } }[] }).choices[0]?.message.tool_calls ??
    [];
  const nextTurn = (calls: OpenAIToolCall[]) =>
    chatRequestToGemini({
      model: "gemini-3-pro-preview",
      messages: [
        { role: "user", content: "weather in Paris and Rome?" },
        { role: "assistant", content: null, tool_calls: calls },
        ...calls.map((call) => ({ role: "tool", tool_call_id: call.id, content: "sunny" })),
      ],
    }) as { contents: { parts: JsonObject[] }[] };

  test("a signed call's id carries its signature (base64url), and the next turn sends it back unchanged", () => {
    const calls = callsOf(
      geminiResponseToChat(
        signed([
          { functionCall: { name: "get_weather", args: { city: "Paris" } }, thoughtSignature: SIGNATURE },
          { functionCall: { name: "get_weather", args: { city: "Rome" } } },
        ]),
        "g",
        "c",
        1,
      ),
    );
    expect(calls[0]?.id).toMatch(/^call_[0-9a-f]{32}__ts_----CiIBVKhc7oXs_w$/);
    expect(calls[1]?.id).toMatch(/^call_[0-9a-f]{32}$/);
    const [, model, results] = nextTurn(calls).contents;
    const plainId = (i: number) => calls[i]?.id.split("__ts_")[0];
    // Parallel calls: Gemini signs the first only, and takes them back so.
    expect(model?.parts).toEqual([
      {
        functionCall: { id: plainId(0), name: "get_weather", args: { city: "Paris" } },
        thoughtSignature: SIGNATURE,
      },
      { functionCall: { id: plainId(1), name: "get_weather", args: { city: "Rome" } } },
    ]);
    expect(results?.parts.map((part) => (part.functionResponse as JsonObject).id)).toEqual([
      plainId(0),
      plainId(1),
    ]);
  });

  test("a signed call streamed keeps its signature in the id", async () => {
    const event = signed([{ functionCall: { name: "f", args: {} }, thoughtSignature: SIGNATURE }]);
    const writer = new GeminiChunkWriter("c", "g", false);
    const out = payloads(
      await collect(
        translateStream(replay([{ data: JSON.stringify(event) }]), geminiEventReader(), writer).events,
      ),
    );
    const call = out
      .flatMap((p) => (p as { choices?: { delta?: { tool_calls?: OpenAIToolCall[] } }[] }).choices ?? [])
      .flatMap((c) => c.delta?.tool_calls ?? [])[0];
    expect(call?.id).toMatch(/__ts_----CiIBVKhc7oXs_w$/);
    expect(
      nextTurn(call ? [{ ...call, type: "function" }] : []).contents[1]?.parts[0]?.thoughtSignature,
    ).toBe(SIGNATURE);
  });

  test("a tool result's image follows behind a line naming its call by the id Gemini knows, not the signature its id carries", () => {
    const signedId = `call_1a2b__ts_${"CiIBVKhc7oXs_w".repeat(8)}`;
    const chat = messagesRequestToChat(
      {
        model: "gemini-3-pro-preview",
        max_tokens: 100,
        messages: [
          { role: "user", content: "take a screenshot" },
          { role: "assistant", content: [{ type: "tool_use", id: signedId, name: "screenshot", input: {} }] },
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: signedId,
                content: [
                  {
                    type: "image",
                    source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
                  },
                ],
              },
            ],
          },
        ],
      },
      new Dropped(),
      { signedCallIds: true },
    );
    const { contents } = chatRequestToGemini(chat) as { contents: { parts: JsonObject[] }[] };
    const [response, label] = contents[2]?.parts ?? [];
    expect(response?.functionResponse).toMatchObject({ id: "call_1a2b" });
    expect(label).toEqual({ text: "Images from the result of tool call call_1a2b:" });
  });

  test("calls with no signature (another vendor's, ids rewritten): the turn's first gets Google's placeholder", () => {
    const call = (id: string) => ({
      id,
      type: "function" as const,
      function: { name: "f", arguments: "{}" },
    });
    const [, model] = nextTurn([call("toolu_01"), call("call_x__ts_")]).contents;
    expect(model?.parts).toEqual([
      {
        functionCall: { id: "toolu_01", name: "f", args: {} },
        thoughtSignature: "skip_thought_signature_validator",
      },
      { functionCall: { id: "call_x__ts_", name: "f", args: {} } },
    ]);
  });
});

describe("Gemini → chat", () => {
  test("a recorded response: thoughts left out, function call, thinking tokens billed as output", () => {
    const chat = geminiResponseToChat(jsonFixture("gemini/generate-content-tool.json"), "g", "chatcmpl-g", 1);
    expect(chat.choices).toEqual([
      {
        index: 0,
        message: {
          role: "assistant",
          content: "I'll check.",
          refusal: null,
          tool_calls: [
            {
              id: expect.stringMatching(/^call_[0-9a-f]{32}__ts_CiIBVKhc7oXs$/),
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        logprobs: null,
        finish_reason: "tool_calls",
      },
    ]);
    expect(chat.usage).toEqual({
      prompt_tokens: 120,
      completion_tokens: 50,
      total_tokens: 170,
      prompt_tokens_details: { cached_tokens: 64 },
      completion_tokens_details: { reasoning_tokens: 32 },
    });
  });

  test("two answers' tool calls have ids of their own, in answers and streams alike", async () => {
    const answer = {
      candidates: [{ content: { parts: [{ functionCall: { name: "f", args: {} } }] }, finishReason: "STOP" }],
    };
    const ids = [geminiResponseToChat(answer, "g", "a", 1), geminiResponseToChat(answer, "g", "b", 1)].map(
      (chat) =>
        (chat as { choices: { message: { tool_calls: { id: string }[] } }[] }).choices[0]?.message
          .tool_calls[0]?.id,
    );
    for (const request of ["c", "d"]) {
      const writer = new GeminiChunkWriter(request, "g", false);
      const out = payloads(
        await collect(
          translateStream(replay([{ data: JSON.stringify(answer) }]), geminiEventReader(), writer).events,
        ),
      );
      ids.push(
        out
          .flatMap((p) => (p as { choices?: { delta?: { tool_calls?: { id: string }[] } }[] }).choices ?? [])
          .flatMap((c) => c.delta?.tool_calls ?? [])[0]?.id,
      );
    }
    expect(ids.every((id) => /^call_[0-9a-f]{32}$/.test(id ?? ""))).toBe(true);
    expect(new Set(ids).size).toBe(4);
  });

  test("n: 2 streamed: each candidate is its own choice by Gemini's index, its text, calls and finish its own", async () => {
    // candidateCount 2: Gemini streams both, each event carrying the candidates that moved on
    // (here the second alone, first in its list), each with its index.
    const events = [
      {
        candidates: [
          { index: 0, content: { role: "model", parts: [{ text: "Par" }] } },
          { index: 1, content: { role: "model", parts: [{ text: "Lyon" }] } },
        ],
      },
      {
        candidates: [
          {
            index: 1,
            content: { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] },
            finishReason: "STOP",
          },
        ],
      },
      {
        candidates: [{ index: 0, content: { role: "model", parts: [{ text: "is" }] }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 6 },
      },
    ];
    const writer = new GeminiChunkWriter("c", "g", false);
    const out = payloads(
      await collect(
        translateStream(
          replay(events.map((event) => ({ data: JSON.stringify(event) }))),
          geminiEventReader(),
          writer,
        ).events,
      ),
    );
    type Choice = {
      index: number;
      delta: { content?: string; tool_calls?: { index: number }[] };
      finish_reason: string | null;
    };
    const choices = out.flatMap((p) => (p as { choices?: Choice[] }).choices ?? []);
    const of = (index: number) => choices.filter((c) => c.index === index);
    expect(
      of(0)
        .map((c) => c.delta.content ?? "")
        .join(""),
    ).toBe("Paris");
    expect(
      of(1)
        .map((c) => c.delta.content ?? "")
        .join(""),
    ).toBe("Lyon");
    expect(
      of(1)
        .flatMap((c) => c.delta.tool_calls ?? [])
        .map((call) => call.index),
    ).toEqual([0]);
    expect(choices.filter((c) => c.finish_reason !== null).map((c) => [c.index, c.finish_reason])).toEqual([
      [0, "stop"],
      [1, "tool_calls"],
    ]);
  });

  test("n: 2 streamed: one candidate's filter or failed finish, once a choice has written, closes that choice (content_filter; a failure's stop) while the other's answer goes on; nothing written yet, it still fails", async () => {
    type Choice = { index: number; delta: { content?: string }; finish_reason: string | null };
    const stream = (events: object[], answers: number) =>
      translateStream(
        replay(events.map((event) => ({ data: JSON.stringify(event) }))),
        geminiEventReader(),
        new GeminiChunkWriter("c", "g", false, undefined, undefined, answers),
      );
    const candidate = (index: number, text: string, finishReason?: string) => ({
      index,
      content: { role: "model", parts: text ? [{ text }] : [] },
      ...(finishReason ? { finishReason } : {}),
    });
    for (const [reason, finish] of [
      ["SAFETY", "content_filter"],
      ["PROHIBITED_CONTENT", "content_filter"],
      ["OTHER", "stop"],
      ["MALFORMED_FUNCTION_CALL", "stop"],
    ] as const) {
      const events = [
        { candidates: [candidate(0, "Par"), candidate(1, "Ly")] },
        { candidates: [candidate(1, "", reason), candidate(0, "is")] },
        { candidates: [candidate(0, " it is", "STOP")], usageMetadata: { promptTokenCount: 5 } },
      ];
      const choices = payloads(await collect(stream(events, 2).events)).flatMap(
        (p) => (p as { choices?: Choice[] }).choices ?? [],
      );
      const text = (index: number) =>
        choices
          .filter((c) => c.index === index)
          .map((c) => c.delta.content ?? "")
          .join("");
      expect([text(0), text(1)]).toEqual(["Paris it is", "Ly"]);
      expect(choices.filter((c) => c.finish_reason !== null).map((c) => [c.index, c.finish_reason])).toEqual([
        [0, "stop"],
        [1, finish],
      ]);
    }
    // Nothing written before the failed finish (its first event): it fails, and the route may fail over.
    const first = [{ candidates: [candidate(0, "Par"), candidate(1, "", "OTHER")] }];
    const failure = await collect(stream(first, 2).events).catch((e: unknown) => e);
    expect((failure as GatewayError).message).toBe(
      "the model stopped for an unspecified reason (Gemini finishReason OTHER)",
    );
    // n: 1 keeps failing mid-stream: its one answer is the one that failed.
    const one = [{ candidates: [candidate(0, "Par")] }, { candidates: [candidate(0, "", "OTHER")] }];
    expect(await collect(stream(one, 1).events).catch((e: unknown) => e)).toBeInstanceOf(GatewayError);
  });

  test("a blocked prompt answers as an empty content_filter choice", () => {
    const chat = geminiResponseToChat({ promptFeedback: { blockReason: "SAFETY" } }, "g", "c", 1);
    expect(chat.choices).toMatchObject([{ finish_reason: "content_filter", message: { content: "" } }]);
  });

  test("a recorded stream: text deltas, the finish chunk, usage from the last event", async () => {
    const writer = new GeminiChunkWriter("c", "g", true);
    const events = replay(sseFixture("gemini/stream-text.sse.txt"));
    const out = payloads(await collect(translateStream(events, geminiEventReader(), writer).events));
    const text = out
      .flatMap((p) => (p as { choices?: { delta?: { content?: string } }[] }).choices ?? [])
      .map((c) => c.delta?.content ?? "")
      .join("");
    expect(text).toBe("The capital of France is Paris.");
    expect(out.at(-3)).toMatchObject({ choices: [{ delta: {}, finish_reason: "stop" }] });
    expect(out.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 31 } });
    expect(out.at(-1)).toBe("[DONE]");
  });

  test("Google's error object mid-stream: a 429 stays one with RetryInfo's delay; no Google body reaches the caller", async () => {
    const head = sseFixture("gemini/stream-text.sse.txt").slice(0, 1);
    const errorEvent = (name: string) => ({ data: JSON.stringify(googleErrors[name]) });
    for (const [name, status] of [
      ["rateLimited", 429],
      ["unavailable", 502],
    ] as const) {
      const writer = new GeminiChunkWriter("c", "g", false);
      const stream = translateStream(replay([...head, errorEvent(name)]), geminiEventReader(), writer);
      const failure = await collect(stream.events).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(GatewayError);
      expect((failure as GatewayError).status).toBe(status);
      const wire = JSON.parse(stream.failureEvents(failure as GatewayError)[0]?.data ?? "");
      // UNAVAILABLE is an overload: OpenAI's own type for one (core/overload.ts).
      expect(wire.error.type).toBe(status === 429 ? "rate_limit_error" : "service_unavailable_error");
      expect(wire.error).not.toHaveProperty("status");
    }
    const writer = new GeminiChunkWriter("c", "g", false);
    const limited = await collect(
      translateStream(replay([errorEvent("rateLimited")]), geminiEventReader(), writer).events,
    ).catch((e: unknown) => e);
    expect((limited as GatewayError).headers).toEqual({ "retry-after": "12" });
  });

  test("MALFORMED_FUNCTION_CALL (and OTHER, …) is a failure, not an empty stop: a retryable 502, or the stream's error event", async () => {
    const ended = (reason: string, parts: object[] = []) => ({
      candidates: [{ content: { role: "model", parts }, finishReason: reason }],
    });
    for (const reason of [
      "MALFORMED_FUNCTION_CALL",
      "UNEXPECTED_TOOL_CALL",
      "TOO_MANY_TOOL_CALLS",
      "OTHER",
    ]) {
      const failure = (() => {
        try {
          return geminiResponseToChat(ended(reason), "g", "c", 1);
        } catch (error) {
          return error;
        }
      })() as GatewayError;
      expect(failure).toBeInstanceOf(GatewayError);
      expect([failure.status, failure.code, failure.retryable]).toEqual([502, "upstream_error", true]);
    }
    const writer = new GeminiChunkWriter("c", "g", false);
    const events = [
      { data: JSON.stringify(ended("", [{ text: "Let me " }])) },
      { data: JSON.stringify(ended("MALFORMED_FUNCTION_CALL")) },
    ];
    const stream = translateStream(replay(events), geminiEventReader(), writer);
    const written: unknown[] = [];
    const failure = await (async () => {
      for await (const event of stream.events) written.push(event);
    })().catch((e: unknown) => e);
    expect(written.length).toBeGreaterThan(0);
    expect((failure as GatewayError).message).toBe(
      "the model produced a malformed function call (Gemini finishReason MALFORMED_FUNCTION_CALL)",
    );
    expect(JSON.parse(stream.failureEvents(failure as GatewayError)[0]?.data ?? "").error.type).toBe(
      "server_error",
    );
  });

  test("every finishReason of Google's enum reads as it means, each as one exact finish_reason or failure; one the gateway does not know ends a turn that wrote text or calls as stop or tool_calls (told once), and fails only a turn that wrote nothing", () => {
    const said = { text: "partial" };
    const call = { functionCall: { id: "fc1", name: "f", args: {} } };
    const ended = (reason: string, parts: object[]) => ({
      candidates: [{ content: { role: "model", parts }, finishReason: reason }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3 },
    });
    const told: string[] = [];
    const read = (reason: string, parts: object[] = [said]): string =>
      finishOrFailure(
        () =>
          geminiResponseToChat(ended(reason, parts), "g", "c", 1, (field, why) =>
            told.push(`${field} ${why}`),
          ),
        { inputTokens: 10, outputTokens: 3 },
      );
    const failed = (words: string, reason: string) => `502: ${words} (Gemini finishReason ${reason})`;
    // FinishReason of google-genai's types (the Gemini API's and Vertex AI's), in its order.
    const table: Array<[string, string]> = [
      ["FINISH_REASON_UNSPECIFIED", "stop"],
      ["STOP", "stop"],
      ["MAX_TOKENS", "length"],
      ["SAFETY", "content_filter"],
      ["RECITATION", "content_filter"],
      ["LANGUAGE", "content_filter"],
      ["OTHER", failed("the model stopped for an unspecified reason", "OTHER")],
      ["BLOCKLIST", "content_filter"],
      ["PROHIBITED_CONTENT", "content_filter"],
      ["SPII", "content_filter"],
      [
        "MALFORMED_FUNCTION_CALL",
        failed("the model produced a malformed function call", "MALFORMED_FUNCTION_CALL"),
      ],
      ["IMAGE_SAFETY", "content_filter"],
      [
        "UNEXPECTED_TOOL_CALL",
        failed("the model called a tool that was not offered", "UNEXPECTED_TOOL_CALL"),
      ],
      ["IMAGE_PROHIBITED_CONTENT", "content_filter"],
      ["IMAGE_OTHER", failed("the model stopped making an image for an unspecified reason", "IMAGE_OTHER")],
      ["NO_IMAGE", failed("the model was to make an image and made none", "NO_IMAGE")],
      ["IMAGE_RECITATION", "content_filter"],
      ["TOO_MANY_TOOL_CALLS", failed("the model made too many tool calls", "TOO_MANY_TOOL_CALLS")],
      [
        "MISSING_THOUGHT_SIGNATURE",
        failed("the request lacks a thought signature the model needs", "MISSING_THOUGHT_SIGNATURE"),
      ],
      ["MALFORMED_RESPONSE", failed("the model produced a malformed response", "MALFORMED_RESPONSE")],
      ["MODEL_ARMOR", "content_filter"],
      ["SOME_REASON_ADDED_LATER", "stop"],
    ];
    expect(table.map(([reason]) => [reason, read(reason)])).toEqual(table);
    expect(read("STOP", [said, call])).toBe("tool_calls");
    expect(read("SOME_REASON_ADDED_LATER", [call])).toBe("tool_calls");
    for (const reason of ["FINISH_REASON_UNSPECIFIED", "SOME_REASON_ADDED_LATER"])
      expect(read(reason, [])).toBe(
        failed("the model stopped for a reason the gateway does not know, having written nothing", reason),
      );
    expect(told).toEqual([
      "Gemini finishReason FINISH_REASON_UNSPECIFIED",
      "Gemini finishReason SOME_REASON_ADDED_LATER",
      "Gemini finishReason SOME_REASON_ADDED_LATER",
      "Gemini finishReason FINISH_REASON_UNSPECIFIED",
      "Gemini finishReason SOME_REASON_ADDED_LATER",
    ]);
  });

  test("a stream whose last event ends with a finishReason the gateway does not know closes the answer it wrote (stop), where it was an error event after the whole answer", async () => {
    const event = (parts: object[], finishReason?: string) => ({
      data: JSON.stringify({
        candidates: [{ content: { role: "model", parts }, ...(finishReason ? { finishReason } : {}) }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3 },
      }),
    });
    const told: string[] = [];
    const writer = new GeminiChunkWriter("c", "g", false, undefined, (field, reason) =>
      told.push(`${field} ${reason}`),
    );
    const written = await collect(
      translateStream(
        replay([event([{ text: "The whole " }]), event([{ text: "answer." }], "A_NEWER_REASON")]),
        geminiEventReader(),
        writer,
      ).events,
    );
    const finishes = payloads(written).flatMap(
      (chunk) =>
        (chunk as { choices?: Array<{ finish_reason: string | null }> }).choices?.map(
          (c) => c.finish_reason,
        ) ?? [],
    );
    expect(finishes.at(-1)).toBe("stop");
    expect(told).toEqual(["Gemini finishReason A_NEWER_REASON"]);
  });

  test("a stream without a finishReason is an upstream failure", async () => {
    const events = sseFixture("gemini/stream-text.sse.txt").slice(0, 2);
    const writer = new GeminiChunkWriter("c", "g", false);
    await expect(
      collect(translateStream(replay(events), geminiEventReader(), writer).events),
    ).rejects.toThrow("ended before the answer was complete");
  });

  test("the usage Google states is told as it is read, once a change: a stream cut short or failing mid-way keeps it", async () => {
    // As Gemini streams: the prompt's tokens in every event, the whole count with the last.
    const event = (text: string, usageMetadata: object, finishReason?: string) => ({
      data: JSON.stringify({
        candidates: [
          { content: { role: "model", parts: [{ text }] }, ...(finishReason ? { finishReason } : {}) },
        ],
        usageMetadata,
      }),
    });
    const soFar = { promptTokenCount: 5000, totalTokenCount: 5000 };
    const whole = {
      promptTokenCount: 5000,
      candidatesTokenCount: 400,
      thoughtsTokenCount: 100,
      totalTokenCount: 5500,
    };
    const told: Usage[] = [];
    const cut = new Error("connection reset");
    const stream = translateStream(
      replay([event("Hello", soFar), event(" there", soFar), event("!", whole, "STOP")], {
        count: 2,
        error: cut,
      }),
      geminiEventReader(),
      new GeminiChunkWriter("c", "g", true),
      (usage) => told.push(usage),
    );
    await expect(collect(stream.events)).rejects.toThrow();
    // The second event repeats the first's figures: nothing more to tell, nothing converted.
    expect(told).toEqual([{ inputTokens: 5000, outputTokens: 0 }]);

    // A turn that fails after its text (MALFORMED_FUNCTION_CALL): Google's whole count is told
    // before the failure is thrown, as its usage is the answer's.
    told.length = 0;
    const failing = translateStream(
      replay([event("Let me ", soFar), event("", whole, "MALFORMED_FUNCTION_CALL")]),
      geminiEventReader(),
      new GeminiChunkWriter("c", "g", true),
      (usage) => told.push(usage),
    );
    const failure = await collect(failing.events).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(told).toEqual([
      { inputTokens: 5000, outputTokens: 0 },
      { inputTokens: 5000, outputTokens: 500, reasoningTokens: 100 },
    ]);
  });
});

describe("blank text to Gemini", () => {
  const blankFile = (file_data: string) => ({ type: "file", file: { filename: "notes.txt", file_data } });
  const whitespace = `data:text/plain;base64,${Buffer.from(" \n\t ").toString("base64")}`;

  test("a blank text part, a blank system message and a text file of no text are left out, as for Claude: Gemini refuses an empty text parameter", () => {
    const out = chatRequestToGemini({
      model: "gemini-2.5-flash",
      messages: [
        { role: "system", content: "  " },
        {
          role: "user",
          content: [
            { type: "text", text: "" },
            blankFile(whitespace),
            blankFile("data:text/plain;base64,"),
            { type: "text", text: "sum it up" },
          ],
        },
        { role: "assistant", content: " \n" },
        {
          role: "user",
          content: [
            { type: "text", text: "go on" },
            { type: "text", text: " " },
          ],
        },
      ],
    });
    expect(out.systemInstruction).toBeUndefined();
    // The blank assistant turn left out, the user's two merge.
    expect(out.contents).toEqual([{ role: "user", parts: [{ text: "sum it up" }, { text: "go on" }] }]);
  });

  test("a last user message left with nothing Gemini can read is the caller's 400 naming it; a blank one after another user turn goes without", () => {
    let refused: unknown;
    try {
      chatRequestToGemini({
        model: "gemini-2.5-flash",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          { role: "user", content: [blankFile(whitespace), { type: "text", text: " " }] },
        ],
      });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(GatewayError);
    expect([(refused as GatewayError).status, (refused as GatewayError).param]).toEqual([400, "messages.2"]);
    expect((refused as GatewayError).message).toStartWith("messages.2: no content Gemini can read");
    const out = chatRequestToGemini({
      model: "gemini-2.5-flash",
      messages: [
        { role: "user", content: "hi" },
        { role: "user", content: " " },
      ],
    });
    expect(out.contents).toEqual([{ role: "user", parts: [{ text: "hi" }] }]);
  });
});

describe("log probabilities: chat's logprobs and top_logprobs, Gemini's responseLogprobs and logprobsResult", () => {
  const asked = (fields: JsonObject) =>
    chatRequestToGemini({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "hi" }], ...fields })
      .generationConfig;

  test("asked for: responseLogprobs, and top_logprobs as Gemini's logprobs (none for 0); nothing without logprobs: true", () => {
    expect(asked({ logprobs: true, top_logprobs: 3 })).toEqual({ responseLogprobs: true, logprobs: 3 });
    expect(asked({ logprobs: true, top_logprobs: 0 })).toEqual({ responseLogprobs: true });
    expect(asked({ logprobs: true })).toEqual({ responseLogprobs: true });
    // OpenAI requires logprobs beside top_logprobs; Gemini's logprobs means nothing without responseLogprobs.
    expect(asked({ top_logprobs: 3 })).toBeUndefined();
    expect(asked({ logprobs: false, top_logprobs: 3 })).toBeUndefined();
  });

  // As Gemini answers with `responseLogprobs` and `logprobs: 2`: a token a step, the two likeliest
  // there; a certain token's logProbability left out (proto3's JSON omits a 0).
  const PARIS = {
    chosenCandidates: [
      { token: "Paris", logProbability: -0.01, tokenId: 9 },
      { token: " é", tokenId: 10 },
    ],
    topCandidates: [
      {
        candidates: [
          { token: "Paris", logProbability: -0.01 },
          { token: "It", logProbability: -4.6 },
        ],
      },
      { candidates: [{ token: " é" }, { token: ".", logProbability: -9.2 }] },
    ],
  };
  const bytes = (text: string) => [...new TextEncoder().encode(text)];
  const PARIS_CHAT = [
    {
      token: "Paris",
      logprob: -0.01,
      bytes: bytes("Paris"),
      top_logprobs: [
        { token: "Paris", logprob: -0.01, bytes: bytes("Paris") },
        { token: "It", logprob: -4.6, bytes: bytes("It") },
      ],
    },
    {
      token: " é",
      logprob: 0,
      bytes: [32, 195, 169],
      top_logprobs: [
        { token: " é", logprob: 0, bytes: [32, 195, 169] },
        { token: ".", logprob: -9.2, bytes: bytes(".") },
      ],
    },
  ];

  test("an answer's logprobsResult is the choice's logprobs.content, token by token, with bytes and alternatives", () => {
    const chat = geminiResponseToChat(
      {
        candidates: [
          {
            content: { role: "model", parts: [{ text: "Paris é" }] },
            finishReason: "STOP",
            avgLogprobs: -0.005,
            logprobsResult: PARIS,
          },
        ],
      },
      "g",
      "c",
      1,
    );
    expect(chat.choices).toEqual([
      expect.objectContaining({
        message: expect.objectContaining({ content: "Paris é" }),
        logprobs: { content: PARIS_CHAT, refusal: null },
        finish_reason: "stop",
      }),
    ]);
  });

  test("none asked for is null; only the chosen tokens (top_logprobs 0) have no alternatives; one the gateway cannot read is null, the answer standing", () => {
    const choice = (logprobsResult?: unknown) =>
      (
        geminiResponseToChat(
          {
            candidates: [
              {
                content: { role: "model", parts: [{ text: "Paris" }] },
                finishReason: "STOP",
                ...(logprobsResult === undefined ? {} : { logprobsResult }),
              },
            ],
          },
          "g",
          "c",
          1,
        ) as { choices: Array<{ message: { content: string }; logprobs: unknown }> }
      ).choices[0];
    expect(choice()?.logprobs).toBeNull();
    expect(choice({ chosenCandidates: [{ token: "Paris", logProbability: -0.5 }] })?.logprobs).toEqual({
      content: [{ token: "Paris", logprob: -0.5, bytes: bytes("Paris"), top_logprobs: [] }],
      refusal: null,
    });
    const unreadable = choice({ chosenCandidates: "Paris" });
    expect([unreadable?.message.content, unreadable?.logprobs]).toEqual(["Paris", null]);
  });

  /** The chat chunks a Gemini stream of `events` becomes. */
  const streamed = async (events: object[], answers = 1) =>
    payloads(
      await collect(
        translateStream(
          replay(events.map((event) => ({ data: JSON.stringify(event) }))),
          geminiEventReader(),
          new GeminiChunkWriter("c", "g", false, undefined, undefined, answers),
        ).events,
      ),
    ).flatMap(
      (p) =>
        (
          p as {
            choices?: Array<{
              index: number;
              delta: { content?: string; tool_calls?: unknown[] };
              logprobs: { content: unknown[] } | null;
              finish_reason: string | null;
            }>;
          }
        ).choices ?? [],
    );

  test("streamed: each event's tokens on its text's chunk, the whole stream's the whole answer's", async () => {
    const step = (i: number) => ({
      chosenCandidates: [PARIS.chosenCandidates[i]],
      topCandidates: [PARIS.topCandidates[i]],
    });
    const choices = await streamed([
      { candidates: [{ content: { role: "model", parts: [{ text: "Paris" }] }, logprobsResult: step(0) }] },
      {
        candidates: [
          {
            content: { role: "model", parts: [{ text: " é" }] },
            logprobsResult: step(1),
            finishReason: "STOP",
          },
        ],
      },
    ]);
    expect(choices.filter((c) => c.delta.content).map((c) => [c.delta.content, c.logprobs?.content])).toEqual(
      [
        ["Paris", [PARIS_CHAT[0]]],
        [" é", [PARIS_CHAT[1]]],
      ],
    );
    // The role chunk and the finish have none.
    expect(choices.filter((c) => !c.delta.content).map((c) => c.logprobs)).toEqual([null, null]);
  });

  test("streamed: an event's tokens with no text to ride on (a call's) come on a chunk of their own", async () => {
    const choices = await streamed([
      {
        candidates: [
          {
            content: { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] },
            logprobsResult: { chosenCandidates: [{ token: "f", logProbability: -0.2 }] },
            finishReason: "STOP",
          },
        ],
      },
    ]);
    expect(
      choices.map((c) => [Object.keys(c.delta), c.logprobs?.content.length ?? null, c.finish_reason]),
    ).toEqual([
      [["role", "content", "refusal"], null, null],
      [["tool_calls"], null, null],
      [[], 1, null],
      [[], null, "tool_calls"],
    ]);
  });

  test("n: 2 streamed: each candidate's tokens on its own choice", async () => {
    const one = (token: string) => ({ chosenCandidates: [{ token, logProbability: -1 }] });
    const choices = await streamed(
      [
        {
          candidates: [
            { index: 1, content: { role: "model", parts: [{ text: "Lyon" }] }, logprobsResult: one("Lyon") },
            {
              index: 0,
              content: { role: "model", parts: [{ text: "Paris" }] },
              logprobsResult: one("Paris"),
            },
          ],
        },
        {
          candidates: [
            { index: 0, content: { role: "model", parts: [] }, finishReason: "STOP" },
            { index: 1, content: { role: "model", parts: [] }, finishReason: "STOP" },
          ],
        },
      ],
      2,
    );
    expect(
      choices
        .filter((c) => c.delta.content)
        .map((c) => [c.index, c.delta.content, (c.logprobs?.content[0] as { token?: string })?.token]),
    ).toEqual([
      [1, "Lyon", "Lyon"],
      [0, "Paris", "Paris"],
    ]);
  });
});
