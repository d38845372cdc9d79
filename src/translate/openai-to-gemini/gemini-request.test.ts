import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { nameUncarried } from "../chat-target.ts";
import { Dropped } from "../dropped.ts";
import { chatRequestToGemini, GEMINI_TARGET } from "./chat-request-to-gemini.ts";

// Chat requests as Gemini generateContent bodies: turns, settings, files, thinking, blank text.

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

  test("thinking off (none, minimal) on a Gemini before 2.5, which has no thinking to turn off: no thinkingConfig", () => {
    // Vertex AI refuses any ("thinking is not supported by this model"), the Gemini API too
    // ("Thinking is not enabled for models/…").
    for (const model of ["gemini-2.0-flash", "gemini-2.0-flash-lite", "gemini-1.5-pro"])
      for (const effort of ["none", "minimal"]) expect(thinkingOn(model, effort)).toBeUndefined();
    // A name without its generation may think: told to stop.
    expect(thinkingOn("gemini-flash-latest", "none")).toEqual({ thinkingBudget: 0 });
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
