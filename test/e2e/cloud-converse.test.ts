import { beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { cloudGateway, WEATHER } from "./harness/cloud-gateway.ts";

// What Bedrock's Converse API takes otherwise than the callers' dialects say it (harness/cloud-gateway.ts):
// Claude's reasoning and cache counts, stop sequences, a system prompt to a model that takes none,
// and a history's tool calls when no tools are declared, said in each caller's terms.

const clouds = cloudGateway();
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  ({ openai, anthropic } = clouds);
});
const { callsTo } = clouds;

describe("Bedrock Converse's reasoning, cache counts and stop sequences, said in each caller's terms", () => {
  // The fake answers "think" as Claude thinking on Bedrock writes it (a signed reasoningContent
  // block, a redacted one, another signed one), "unsigned" as DeepSeek-R1 does, and "cache" with
  // cache reads and writes beside inputTokens (fake-cloud.ts `bedrockAnswer`).
  const CLAUDE_THINKING = [
    {
      type: "thinking",
      thinking: "The user asks me to think. Paris first.",
      signature: "EqQBCkYIBxgCKkA-signed-one",
    },
    { type: "redacted_thinking", data: "RXJtZW5jcnlwdGVkIHRoaW5raW5n" },
    { type: "thinking", thinking: "Then the answer.", signature: "EqQBCkYIBxgCKkA-signed-two" },
  ];

  test("Claude Code's SDK gets Claude's thinking blocks with their signatures, and the redacted one, whole and streamed (the SDK's own accumulation)", async () => {
    const ask = {
      model: "claude-bedrock",
      max_tokens: 200,
      messages: [{ role: "user" as const, content: "think about Paris" }],
    };
    const reply = await anthropic.messages.create(ask);
    expect(reply.content.slice(0, 3)).toEqual(CLAUDE_THINKING as Anthropic.ContentBlock[]);
    expect(reply.content[3]).toMatchObject({
      type: "text",
      text: "Hello from bedrock. You said: think about Paris",
    });
    const final = await anthropic.messages.stream(ask).finalMessage();
    expect(final.content.slice(0, 3)).toEqual(CLAUDE_THINKING as Anthropic.ContentBlock[]);
    expect(final.content[3]).toMatchObject({
      type: "text",
      text: "Hello from bedrock. You said: think about Paris",
    });
  });

  test("an OpenAI caller gets the reasoning's text as reasoning_content; a Responses caller a reasoning item a block; DeepSeek-R1's unsigned reasoning likewise", async () => {
    const chat = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "think" }],
    });
    const message = chat.choices[0]?.message as unknown as Record<string, unknown>;
    expect(message.reasoning_content).toBe("The user asks me to think. Paris first.\n\nThen the answer.");
    expect(message.content).toBe("Hello from bedrock. You said: think");
    const r1 = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "unsigned" }],
    });
    const unsigned = r1.choices[0]?.message as unknown as Record<string, unknown> | undefined;
    expect(unsigned?.reasoning_content).toBe("The user wants an answer; plain reasoning.");
    // Streamed, the same reasoning: the deltas joined are the whole answer's reasoning_content.
    const stream = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "think" }],
      stream: true,
    });
    let streamed = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as Record<string, unknown> | undefined;
      if (typeof delta?.reasoning_content === "string") streamed += delta.reasoning_content;
    }
    expect(streamed).toBe(message.reasoning_content as string);
    const response = await openai.responses.create({ model: "claude-bedrock", input: "think" });
    const reasoningOf = (output: typeof response.output) =>
      output.flatMap((item) =>
        item.type === "reasoning" ? [item.summary.map((part) => part.text).join("")] : [],
      );
    expect(reasoningOf(response.output)).toEqual([
      "The user asks me to think. Paris first.",
      "Then the answer.",
    ]);
    expect(response.output_text).toBe("Hello from bedrock. You said: think");
    const events = await openai.responses.create({ model: "claude-bedrock", input: "think", stream: true });
    let completed: typeof response | undefined;
    for await (const event of events) if (event.type === "response.completed") completed = event.response;
    expect(reasoningOf(completed?.output ?? [])).toEqual(reasoningOf(response.output));
  });

  test("cache reads and writes, beside inputTokens on Converse: an Anthropic caller's cache_read and cache_creation, an OpenAI caller's cached_tokens within prompt_tokens", async () => {
    const ask = {
      model: "claude-bedrock",
      max_tokens: 50,
      messages: [{ role: "user" as const, content: "cache" }],
    };
    const reply = await anthropic.messages.create(ask);
    const inputTokens = Math.ceil("cache".length / 4);
    expect(reply.usage).toMatchObject({
      input_tokens: inputTokens,
      cache_read_input_tokens: 300,
      cache_creation_input_tokens: 100,
    });
    const streamed = await anthropic.messages.stream(ask).finalMessage();
    expect(streamed.usage).toMatchObject({ cache_read_input_tokens: 300, cache_creation_input_tokens: 100 });
    const chat = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [{ role: "user", content: "cache" }],
    });
    expect(chat.usage?.prompt_tokens).toBe(inputTokens + 300 + 100);
    expect(chat.usage?.prompt_tokens_details?.cached_tokens).toBe(300);
  });

  test('an empty stop sequence, which OpenAI takes and Bedrock refuses, is left out and named "stop (empty)"', async () => {
    const before = callsTo(/\/converse$/).length;
    const { data, response } = await openai.chat.completions
      .create({ model: "claude-bedrock", messages: [{ role: "user", content: "hi" }], stop: ["END", ""] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toBe("Hello from bedrock. You said: hi");
    expect(response.headers.get("x-mindgw-dropped")).toBe("stop (empty)");
    const sent = JSON.parse(callsTo(/\/converse$/).slice(before)[0]?.body ?? "{}");
    expect(sent.inferenceConfig).toEqual({ stopSequences: ["END"] });
  });
});

describe("Bedrock models Converse serves without system prompts (Titan Text, Mistral 7B Instruct)", () => {
  test("the system prompt reaches the model at the head of the first user turn, from either SDK, whole and streamed; none is refused", async () => {
    const before = callsTo(/\/converse(-stream)?$/).length;
    const { data: chat, response } = await openai.chat.completions
      .create({
        model: "titan-text",
        messages: [
          { role: "system", content: "Answer in French." },
          { role: "user", content: "hi" },
          { role: "assistant", content: "Salut." },
          { role: "user", content: "again" },
        ],
      })
      .withResponse();
    expect(response.status).toBe(200);
    expect(chat.choices[0]?.message.content).toBe("Hello from bedrock. You said: again");
    expect(response.headers.get("x-mindgw-dropped")).toBeNull();
    const stream = anthropic.messages.stream({
      model: "titan-text",
      max_tokens: 64,
      system: [{ type: "text", text: "Answer in French." }],
      messages: [{ role: "user", content: "hi" }],
    });
    const message = await stream.finalMessage();
    expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
      "Hello from bedrock. You said: Answer in French.hi",
    ]);
    const sent = callsTo(/\/converse(-stream)?$/)
      .slice(before)
      .map((call) => JSON.parse(call.body));
    expect(sent.map((body) => body.system)).toEqual([undefined, undefined]);
    expect(sent[0].messages).toEqual([
      { role: "user", content: [{ text: "Answer in French." }, { text: "hi" }] },
      { role: "assistant", content: [{ text: "Salut." }] },
      { role: "user", content: [{ text: "again" }] },
    ]);
    expect(sent[1].messages[0].content).toEqual([{ text: "Answer in French." }, { text: "hi" }]);
  });

  test("a model that takes system prompts is still sent them as its system", async () => {
    const before = callsTo(/\/converse$/).length;
    await openai.chat.completions.create({
      model: "nova",
      messages: [
        { role: "system", content: "Answer in French." },
        { role: "user", content: "hi" },
      ],
    });
    const sent = JSON.parse(callsTo(/\/converse$/).slice(before)[0]?.body ?? "{}");
    expect(sent.system).toEqual([{ text: "Answer in French." }]);
    expect(sent.messages).toEqual([{ role: "user", content: [{ text: "hi" }] }]);
  });
});

describe("a conversation with tool calls but no tools declared, on Converse (which refuses the pair)", () => {
  test("its calls and results reach the model as text, the request answered, from either SDK; a request with tools keeps Converse's blocks", async () => {
    const before = callsTo(/\/converse$/).length;
    const call = {
      id: "call_1",
      type: "function" as const,
      function: { name: "get_weather", arguments: '{"city":"Paris"}' },
    };
    const chat = await openai.chat.completions.create({
      model: "claude-bedrock",
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: "22°C, sunny" },
        { role: "user", content: "sum up" },
      ],
    });
    expect(chat.choices[0]?.message.content).toBe(
      "Hello from bedrock. You said: [get_weather returned: 22°C, sunny]sum up",
    );
    const message = await anthropic.messages.create({
      model: "claude-bedrock",
      max_tokens: 64,
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } }],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "22°C, sunny" },
            { type: "text", text: "sum up" },
          ],
        },
      ],
    });
    expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
      "Hello from bedrock. You said: [get_weather returned: 22°C, sunny]sum up",
    ]);
    const [openaiSent, anthropicSent] = callsTo(/\/converse$/)
      .slice(before)
      .map((sent) => JSON.parse(sent.body));
    expect(openaiSent.toolConfig).toBeUndefined();
    expect(openaiSent.messages).toEqual([
      { role: "user", content: [{ text: "weather?" }] },
      { role: "assistant", content: [{ text: '[called get_weather with {"city":"Paris"}]' }] },
      { role: "user", content: [{ text: "[get_weather returned: 22°C, sunny]" }, { text: "sum up" }] },
    ]);
    expect(anthropicSent.messages[1].content).toEqual([
      { text: '[called get_weather with {"city":"Paris"}]' },
    ]);
    // Tools declared: the history goes as Converse's toolUse and toolResult blocks.
    await openai.chat.completions.create({
      model: "claude-bedrock",
      tools: [WEATHER],
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: "call_1", content: "22°C, sunny" },
      ],
    });
    const withTools = JSON.parse(callsTo(/\/converse$/).at(-1)?.body ?? "{}");
    expect(withTools.messages[1].content[0].toolUse.name).toBe("get_weather");
    expect(withTools.messages[2].content[0].toolResult.toolUseId).toBe("call_1");
  });
});
