import { describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { auditRow } from "./harness/admin-api.ts";
import { anthropicProviderFixture } from "./harness/anthropic-provider-fixture.ts";

// The OpenAI SDK to DeepSeek's Anthropic API (`unsigned_thinking: keep`): reasoning, unsigned, and
// DeepSeek's own signed thinking, carried to chat and Responses callers and back.

const fx = anthropicProviderFixture();
const { upstreamCall } = fx;

describe("OpenAI SDK → DeepSeek's Anthropic API (unsigned_thinking: keep)", () => {
  // DeepSeek's thinking mode refuses a tool-call turn sent back without its thinking ("must be
  // passed back"). The first turn's reasoning comes from the chat route DeepSeek failed over to.
  const reasoning = "Listing the files first.";
  const unsigned = { type: "thinking", thinking: reasoning, signature: "" };
  type Turn = { role: string; content: unknown[] };

  test("a chat caller's reasoning_content goes back as a thinking block without signature", async () => {
    fx.fake.enqueue({ status: 529 }, { reasoning });
    const tools = [{ type: "function" as const, function: { name: "Bash", parameters: { type: "object" } } }];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "list the files" }];
    const first = await fx.openai.chat.completions.create({ model: "ds-failover", tools, messages });
    const answer = first.choices[0]?.message;
    expect(answer).toMatchObject({ reasoning_content: reasoning });
    const call = answer?.tool_calls?.[0];
    // The message as the SDK gave it, its reasoning_content included, as DeepSeek asks.
    messages.push(answer as OpenAI.ChatCompletionMessageParam, {
      role: "tool",
      tool_call_id: call?.id ?? "",
      content: "a.txt",
    });
    const before = fx.fake.requests.length;
    const { data, response } = await fx.openai.chat.completions
      .create({ model: "ds-failover", tools, messages })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeString();
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect((up.body.messages as Turn[])[1]?.content[0]).toEqual(unsigned);
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.status]).toEqual(["provider:deepseek", 200]);
  });

  test("a chat caller's tool-call turn sent back without reasoning_content goes with an empty thinking block", async () => {
    // Most chat SDKs keep no reasoning_content in the history (and a turn another route answered
    // has none): DeepSeek's thinking mode refuses the tool-call turn without thinking all the same.
    const tools = [{ type: "function" as const, function: { name: "Bash", parameters: { type: "object" } } }];
    const call = { id: "call_1", type: "function" as const, function: { name: "Bash", arguments: "{}" } };
    const before = fx.fake.requests.length;
    const { data, response } = await fx.openai.chat.completions
      .create({
        model: "ds-failover",
        tools,
        messages: [
          { role: "user", content: "list the files" },
          { role: "assistant", content: null, tool_calls: [call] },
          { role: "tool", tool_call_id: "call_1", content: "a.txt" },
        ],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBeString();
    const up = await upstreamCall(before);
    expect((up.body.messages as Turn[])[1]?.content).toEqual([
      { type: "thinking", thinking: "", signature: "" },
      { type: "tool_use", id: "call_1", name: "Bash", input: {} },
    ]);
    const row = await auditRow(fx.gw, response.headers.get("x-request-id") ?? "");
    expect([row.route, row.status]).toEqual(["provider:deepseek", 200]);
  });

  test("a Responses caller's reasoning item goes back as a thinking block without signature (Codex, store: false)", async () => {
    fx.fake.enqueue({ status: 529 }, { reasoning });
    const tools: OpenAI.Responses.Tool[] = [
      { type: "function", name: "Bash", parameters: { type: "object" }, strict: false },
    ];
    const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "list the files" }];
    const first = await fx.openai.responses.create({ model: "ds-failover", tools, input, store: false });
    expect(first.output[0]).toMatchObject({ type: "reasoning", summary: [{ text: reasoning }] });
    const call = first.output.find((item) => item.type === "function_call");
    // Codex sends the whole conversation back each turn, the reasoning items with it.
    input.push(...(first.output as OpenAI.Responses.ResponseInputItem[]), {
      type: "function_call_output",
      call_id: call?.type === "function_call" ? call.call_id : "",
      output: "a.txt",
    });
    const before = fx.fake.requests.length;
    const second = await fx.openai.responses.create({ model: "ds-failover", tools, input, store: false });
    expect(second.status).toBe("completed");
    const up = await upstreamCall(before);
    expect(up.path).toBe("/v1/messages");
    expect((up.body.messages as Turn[])[1]?.content[0]).toEqual(unsigned);
  });

  // DeepSeek's own thinking (the fake's thinking model writes "Thinking over N messages.", N the
  // messages it was sent), which its thinking mode wants back on the tool-call turn, not empty.
  const think = (messages: number) => ({
    type: "thinking",
    thinking: `Thinking over ${messages} messages.`,
    signature: "",
  });
  const bash = { type: "function" as const, function: { name: "Bash", parameters: { type: "object" } } };

  type ToolCall = OpenAI.ChatCompletionMessageFunctionToolCall;
  type Answer = { content?: string | null; reasoning_content?: string; tool_calls?: ToolCall[] };
  type Delta = OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string };

  /** The chat answer as the caller reads it: whole, or gathered from its chunks. */
  async function chatAnswer(stream: boolean, messages: OpenAI.ChatCompletionMessageParam[]): Promise<Answer> {
    const params = { model: "ds-think", tools: [bash], messages };
    if (!stream)
      return ((await fx.openai.chat.completions.create(params)).choices[0]?.message ?? {}) as Answer;
    const answer: Answer & { tool_calls: ToolCall[] } = { tool_calls: [] };
    for await (const chunk of await fx.openai.chat.completions.create({ ...params, stream: true })) {
      const delta: Delta | undefined = chunk.choices[0]?.delta;
      if (delta?.reasoning_content)
        answer.reasoning_content = (answer.reasoning_content ?? "") + delta.reasoning_content;
      for (const { index, id, function: named } of delta?.tool_calls ?? []) {
        if (id)
          answer.tool_calls[index] = {
            id,
            type: "function",
            function: { name: named?.name ?? "", arguments: "" },
          };
        const open = answer.tool_calls[index];
        if (open) open.function.arguments += named?.arguments ?? "";
      }
    }
    return answer;
  }

  test.each([false, true])(
    "DeepSeek's own thinking reaches a chat caller as reasoning_content, and goes back leading its tool-call turn (stream: %p)",
    async (stream) => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "list the files" }];
      const first = await chatAnswer(stream, messages);
      expect(first.reasoning_content).toBe(think(1).thinking);
      const call = first.tool_calls?.[0];
      expect(call?.function.name).toBe("Bash");
      // The message as the caller got it, its reasoning_content included, as DeepSeek asks.
      messages.push(
        {
          role: "assistant",
          content: null,
          tool_calls: first.tool_calls ?? [],
          ...first,
        } as OpenAI.ChatCompletionMessageParam,
        { role: "tool", tool_call_id: call?.id ?? "", content: "a.txt" },
      );
      const before = fx.fake.requests.length;
      const second = await chatAnswer(stream, messages);
      expect(second.reasoning_content).toBe(think(3).thinking);
      const up = await upstreamCall(before);
      expect((up.body.messages as Turn[])[1]?.content).toEqual([
        think(1),
        { type: "tool_use", id: call?.id, name: "Bash", input: { city: "Paris", days: 3 } },
      ]);
    },
  );

  test.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])(
    "DeepSeek's own thinking reaches a Responses caller as a reasoning item, its signature the item's encrypted_content, and goes back leading its tool-call turn, signed as DeepSeek signed it (stream: %p, chained: %p)",
    async (stream, chained) => {
      const tools: OpenAI.Responses.Tool[] = [
        { type: "function", name: "Bash", parameters: { type: "object" }, strict: false },
      ];
      const ask = async (body: OpenAI.Responses.ResponseCreateParamsNonStreaming) =>
        stream
          ? fx.openai.responses.stream({ ...body, stream: true }).finalResponse()
          : fx.openai.responses.create(body);
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "list the files" }];
      const first = await ask({ model: "ds-think", tools, input, store: chained });
      expect(first.output[0]).toMatchObject({ type: "reasoning", summary: [{ text: think(1).thinking }] });
      // DeepSeek signs a block with its message's id, carried marked (the gateway's, not OpenAI's)
      // as the `deepseek` provider's.
      const sealed = first.output[0]?.type === "reasoning" ? first.output[0].encrypted_content : undefined;
      expect(sealed).toMatch(/^mindgw-thinking:v2:deepseek:msg_/);
      const call = first.output.find((item) => item.type === "function_call");
      const result: OpenAI.Responses.ResponseInputItem = {
        type: "function_call_output",
        call_id: call?.type === "function_call" ? call.call_id : "",
        output: "a.txt",
      };
      const before = fx.fake.requests.length;
      // Chained: the stored answer goes on by its id; else the whole conversation is sent back (Codex).
      const second = chained
        ? await ask({
            model: "ds-think",
            tools,
            input: [result],
            previous_response_id: first.id,
            store: true,
          })
        : await ask({
            model: "ds-think",
            tools,
            input: [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[]), result],
            store: false,
          });
      expect(second.status).toBe("completed");
      const up = await upstreamCall(before);
      expect((up.body.messages as Turn[])[1]?.content[0]).toEqual({
        ...think(1),
        signature: sealed?.slice("mindgw-thinking:v2:deepseek:".length),
      });
    },
  );
});
