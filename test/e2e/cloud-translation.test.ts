import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { FakeCloud } from "../fake-cloud/fake-cloud.ts";
import { cloudGateway, INPUT_TOO_LONG, VENDOR, WEATHER } from "./harness/cloud-gateway.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";

// What crosses between the callers' dialects and the clouds' own (harness/cloud-gateway.ts): PDFs,
// audio and images as each vendor takes them, Bedrock's and Gemini's streams relayed a read at a
// time, and a context window's refusal failed over or said in the caller's words.

const clouds = cloudGateway();
let cloud: FakeCloud;
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ cloud, gw, openai, anthropic } = clouds);
});
const { callsTo } = clouds;

describe("PDFs, audio and images on cloud routes: what each vendor can take, sent; said in the caller's terms", () => {
  const PDF = Buffer.from("%PDF-1.4\n%%EOF").toString("base64");
  const lastTo = (pattern: RegExp) => JSON.parse(callsTo(pattern).at(-1)?.body ?? "{}");

  test("an Anthropic caller's PDFs reach Bedrock as Converse documents and Gemini as inlineData, nothing dropped", async () => {
    const pdf = (title: string) => ({
      type: "document" as const,
      title,
      source: { type: "base64" as const, media_type: "application/pdf" as const, data: PDF },
    });
    for (const model of ["claude-bedrock", "gemini-flash"]) {
      const { response } = await anthropic.messages
        .create({
          model,
          max_tokens: 64,
          system: "be brief",
          messages: [
            {
              role: "user",
              content: [pdf("q3_report.v2.pdf"), { type: "text", text: "summarise this PDF" }],
            },
            { role: "assistant", content: "Done." },
            // The same title again, alone: Converse refuses a name twice and a document without text.
            { role: "user", content: [pdf("Q3 report v2.pdf")] },
          ],
        })
        .withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    }
    const converse = lastTo(/\/converse$/).messages;
    expect(converse[0].content[0].document).toEqual({
      format: "pdf",
      name: "q3 report v2",
      source: { bytes: PDF },
    });
    expect(converse[2].content.map((block: object) => Object.keys(block)[0])).toEqual(["document", "text"]);
    expect(converse[2].content[0].document.name).toBe("Q3 report v2 (2)");
    const gemini = lastTo(/generateContent$/).contents;
    expect(gemini[0].parts[0]).toEqual({ inlineData: { mimeType: "application/pdf", data: PDF } });
  });

  test("an OpenAI caller's audio reaches Gemini as inlineData; an image's detail is named there", async () => {
    const png = "data:image/png;base64,iVBORw0KGgo=";
    const { response } = await openai.chat.completions
      .create({
        model: "gemini-flash",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "transcribe and describe" },
              { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
              { type: "image_url", image_url: { url: png, detail: "high" } },
            ],
          },
        ],
      })
      .withResponse();
    expect(response.headers.get("x-mindgw-dropped")).toBe("messages.content.image_url.detail");
    expect(lastTo(/generateContent$/).contents[0].parts.slice(1)).toEqual([
      { inlineData: { mimeType: "audio/wav", data: "UklGRg==" } },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
    ]);
  });

  test("blank text Bedrock would refuse the request for (Claude's \"\\n\\n\" before a tool call, an empty part beside an image, an empty system) is left out; the tool result's kept", async () => {
    const reply = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [
        { role: "system", content: "" },
        {
          role: "user",
          content: [
            { type: "text", text: "" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
        {
          role: "assistant",
          content: "\n\n",
          tool_calls: [
            { id: "call_1", type: "function", function: { name: "get_weather", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "" },
        { role: "user", content: "and now?" },
      ],
      tools: [WEATHER],
    });
    expect(reply.choices[0]?.message.content).toContain("and now?");
    const sent = lastTo(/converse$/);
    expect(sent.system).toBeUndefined();
    expect(sent.messages[1].content).toEqual([
      { toolUse: { toolUseId: "call_1", name: "get_weather", input: {} } },
    ]);
    expect(sent.messages[2].content[0].toolResult.content).toEqual([{ text: "" }]);
  });

  test("a blank first user message, left out, that would open the conversation with the assistant's turn is the gateway's 400 naming it, before Bedrock is called", async () => {
    const before = callsTo(/converse$/).length;
    const error = await openaiFailure(
      openai.chat.completions.create({
        model: "claude-bedrock",
        messages: [
          { role: "user", content: " " },
          { role: "assistant", content: "Hello! How can I help?" },
          { role: "user", content: "hi" },
        ],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.param).toBe("messages.0");
    expect(error.message).toContain("the first user message has no text but blank");
    expect(callsTo(/converse$/).length).toBe(before);
  });

  test("a Responses caller's refused part is its input[2].content[1], whatever instructions precede it", async () => {
    const error = await openaiFailure(
      openai.responses.create({
        model: "claude-bedrock",
        instructions: "be brief",
        input: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          {
            role: "user",
            content: [
              { type: "input_text", text: "look" },
              { type: "input_image", image_url: "https://x.test/a.png", detail: "auto" },
            ],
          },
        ],
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect([error.param, error.message]).toEqual([
      "input[2].content[1]",
      "400 input[2].content[1]: an image by URL, which Bedrock's Converse does not fetch: send it as a base64 data: URL (png, jpeg, gif, webp), or call a model whose upstream fetches URLs",
    ]);
  });
});

describe("Bedrock and Gemini streams relayed a read at a time", () => {
  const decoder = new TextDecoder();
  const ask = (path: string, model: string) =>
    fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model,
        max_tokens: 100,
        stream: true,
        messages: [{ role: "user", content: "stream me" }],
      }),
    });
  /** The answer's text in an OpenAI chat stream, or an Anthropic one. */
  const textOf = (sse: string) =>
    sse
      .split("\n\n")
      .map((event) => event.slice(event.indexOf("data: ") + 6))
      .filter((data) => data.startsWith("{"))
      .map((data) => {
        const parsed = JSON.parse(data) as {
          choices?: { delta?: { content?: string } }[];
          delta?: { text?: string };
        };
        return parsed.choices?.[0]?.delta?.content ?? parsed.delta?.text ?? "";
      })
      .join("");

  // Bedrock's call goes out on `fetch`, whose body's end is not in hand with its last bytes.
  test.each([
    ["gemini-flash", "/v1/chat/completions"],
    ["vertex-flash", "/v1/messages"],
  ] as const)("%s to %s: a stream in one upstream read is one body, with its length", async (model, path) => {
    const response = await ask(path, model);
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(Number(response.headers.get("content-length"))).toBe(new TextEncoder().encode(body).length);
    expect(textOf(body)).toBe(`Hello from ${VENDOR[model]}. You said: stream me`);
  });

  test.each([
    ["claude-bedrock", "/v1/chat/completions"],
    ["gemini-flash", "/v1/chat/completions"],
    ["nova", "/v1/messages"],
    ["gemini-flash", "/v1/messages"],
  ] as const)(
    "%s to %s: the events before a cut leave as one chunk; the cut event comes out whole",
    async (model, path) => {
      const release = cloud.cutNext();
      const response = await ask(path, model);
      expect(response.headers.get("content-length")).toBeNull();
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const first = decoder.decode((await reader.read()).value);
      // The two events before the cut, translated, in the one chunk the gateway wrote for that read.
      expect(first.split("\n\n").filter((event) => event.includes("data: ")).length).toBeGreaterThanOrEqual(
        2,
      );
      release();
      let rest = "";
      for (let read = await reader.read(); !read.done; read = await reader.read())
        rest += decoder.decode(read.value, { stream: true });
      expect(textOf(first + rest)).toBe(`Hello from ${VENDOR[model]}. You said: stream me`);
    },
  );
});

describe("stop sequences on Google routes", () => {
  test("no stop sequences (`stop: []`, `stop_sequences: []`), which Google refuses as a list of 0, reach Gemini and Vertex AI as none", async () => {
    const google = /:generateContent$/;
    for (const model of ["gemini-flash", "vertex-flash"]) {
      const before = callsTo(google).length;
      const chat = await openai.chat.completions.create({
        model,
        messages: [{ role: "user", content: "hi" }],
        stop: [],
      });
      expect(chat.choices[0]?.finish_reason).toBe("stop");
      // A guard only: this half cannot fail today, since an Anthropic caller's empty
      // stop_sequences never becomes a chat `stop` (messages-request-to-chat.ts sends `stop` only
      // for a list of some), so Gemini's translation never sees it.
      const messages = await anthropic.messages.create({
        model,
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
        stop_sequences: [],
      });
      expect(messages.stop_reason).toBe("end_turn");
      for (const call of callsTo(google).slice(before))
        expect(JSON.parse(call.body).generationConfig?.stopSequences).toBeUndefined();
    }
  });
});

describe("context-aware routing across clouds", () => {
  test("Bedrock's 'Input is too long' fails over to Gemini with fallback_on: [context_length]", async () => {
    cloud.failNext({
      status: 400,
      type: "ValidationException",
      message: "Input is too long for requested model.",
    });
    const reply = await openai.chat.completions.create({
      model: "long-context",
      messages: [{ role: "user", content: "a long one" }],
    });
    expect(reply.choices[0]?.message.content).toBe("Hello from gemini. You said: a long one");
  });

  test("a route whose window cannot hold the prompt is skipped before it is called", async () => {
    const before = cloud.requests.filter((r) => r.path.startsWith("/model/")).length;
    const prompt = "word ".repeat(100);
    const reply = await openai.chat.completions.create({
      model: "tight",
      messages: [{ role: "user", content: prompt }],
    });
    expect(reply.choices[0]?.message.content).toBe(`Hello from gemini. You said: ${prompt}`);
    expect(cloud.requests.filter((r) => r.path.startsWith("/model/")).length).toBe(before);
  });

  test("without fallback_on a context refusal is the caller's 400 context_length_exceeded, with its param", async () => {
    cloud.failNext(INPUT_TOO_LONG);
    const error = await openaiFailure(
      openai.chat.completions.create({ model: "claude-bedrock", messages: [{ role: "user", content: "x" }] }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.code).toBe("context_length_exceeded");
    expect(error.param).toBe("messages");
  });
});
