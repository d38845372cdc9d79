import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { FAKE_TOOL_ARGUMENTS } from "./fake-script.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";
import { fakeVector } from "./openai-embeddings.ts";

let fake: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${fake.url}/v1`, maxRetries: 0, timeout: 10_000 });
});
afterAll(() => fake.stop());

const weatherTool = {
  type: "function" as const,
  function: { name: "get_weather", parameters: { type: "object", properties: {} } },
};

describe("fake upstream, through the official openai SDK", () => {
  test("non-stream chat echoes the last user message", async () => {
    const res = await client.chat.completions.create({
      model: "gpt-fake",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hello there world" },
      ],
    });
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe("gpt-fake");
    expect(res.choices[0]?.message).toMatchObject({ role: "assistant", content: "echo: hello there world" });
    expect(res.choices[0]?.finish_reason).toBe("stop");
    expect(res.usage).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
    const seen = fake.requests.at(-1);
    expect(seen?.path).toBe("/v1/chat/completions");
    expect(seen?.headers.authorization).toBe("Bearer sk-test");
  });

  test("stream chat: role first, one delta per word, finish chunk, usage chunk, [DONE]", async () => {
    const stream = await client.chat.completions.create({
      model: "gpt-fake",
      messages: [{ role: "user", content: [{ type: "text", text: "one two three" }] }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("echo: one two three");
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(4);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(4);
  });

  test("tools: a streamed call to the first tool reassembles to the fixed arguments", async () => {
    const final = await client.chat.completions
      .stream({ model: "gpt-fake", messages: [{ role: "user", content: "weather?" }], tools: [weatherTool] })
      .finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual(FAKE_TOOL_ARGUMENTS);
  });

  test("interleave: every declared tool called at once, fragments taking turns (0, 1, 0, 1, …)", async () => {
    const timeTool = { type: "function" as const, function: { name: "get_time", parameters: {} } };
    const stream = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "both [[fake:interleave]]" }],
      tools: [weatherTool, timeTool],
      stream: true,
    });
    const order: number[] = [];
    const args = ["", ""];
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) {
        if (!call.function?.arguments) continue;
        order.push(call.index);
        args[call.index] += call.function.arguments;
      }
    }
    expect(order.slice(0, 4)).toEqual([0, 1, 0, 1]);
    expect(args.map((json) => JSON.parse(json))).toEqual([FAKE_TOOL_ARGUMENTS, FAKE_TOOL_ARGUMENTS]);
  });

  test("tools non-stream, and tool_choice none answers in text", async () => {
    const called = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [weatherTool],
    });
    expect(called.choices[0]?.message.content).toBeNull();
    expect(called.choices[0]?.message.tool_calls?.[0]?.id).toStartWith("call_");
    const text = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      tools: [weatherTool],
      tool_choice: "none",
    });
    expect(text.choices[0]?.message.content).toBe("echo: x");
  });

  test("max_tokens truncates with finish_reason length", async () => {
    const res = await client.chat.completions.create({
      model: "m",
      max_tokens: 2,
      messages: [{ role: "user", content: "a b c d" }],
    });
    expect(res.choices[0]?.message.content).toBe("echo: a");
    expect(res.choices[0]?.finish_reason).toBe("length");
  });

  test("a reasoning model (o-series, gpt-5) refuses max_tokens as OpenAI does, and takes max_completion_tokens", async () => {
    const messages = [{ role: "user" as const, content: "a b c d" }];
    const err = await client.chat.completions
      .create({ model: "gpt-5.4", max_tokens: 2, messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const refused = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect([refused.code, refused.param]).toEqual(["unsupported_parameter", "max_tokens"]);
    const res = await client.chat.completions.create({
      model: "o4-mini",
      max_completion_tokens: 2,
      messages,
    });
    expect(res.choices[0]?.finish_reason).toBe("length");
  });

  test("a `user` longer than 64 characters is refused as OpenAI refuses it; 64 is taken", async () => {
    const messages = [{ role: "user" as const, content: "x" }];
    const err = await client.chat.completions
      .create({ model: "m", user: "u".repeat(65), messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const refused = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect([refused.code, refused.param]).toEqual(["string_above_max_length", "user"]);
    expect(refused.message).toContain("maximum length 64, but got a string with length 65");
    const res = await client.chat.completions.create({ model: "m", user: "u".repeat(64), messages });
    expect(res.choices[0]?.message.content).toBe("echo: x");
  });

  test("DeepSeek's thinking model reasons first, and refuses a tool-call turn sent back without its reasoning", async () => {
    const model = "deepseek-reasoner";
    const user = { role: "user" as const, content: "weather?" };
    const answer = await client.chat.completions.create({ model, messages: [user], tools: [weatherTool] });
    const message = answer.choices[0]?.message as { reasoning_content?: string; tool_calls?: unknown[] };
    expect(message.reasoning_content).toBe("Thinking over 1 messages.");
    const call = {
      id: "call_1",
      type: "function" as const,
      function: { name: "get_weather", arguments: "{}" },
    };
    const result = { role: "tool" as const, tool_call_id: "call_1", content: "sunny" };
    const refused = await client.chat.completions
      .create({ model, messages: [user, { role: "assistant", content: null, tool_calls: [call] }, result] })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as Error).message).toContain(
      "Missing `reasoning_content` field in the assistant message at message index 1",
    );
    const reasoned = {
      role: "assistant" as const,
      content: null,
      tool_calls: [call],
      reasoning_content: "hm",
    };
    const taken = await client.chat.completions.create({ model, messages: [user, reasoned, result] });
    expect(taken.choices[0]?.message.content).toBe("echo: sunny");
  });

  test("legacy completions, stream and not", async () => {
    const res = await client.completions.create({ model: "m", prompt: "say this" });
    expect(res.object).toBe("text_completion");
    expect(res.choices[0]?.text).toBe("echo: say this");
    const stream = await client.completions.create({ model: "m", prompt: "say this", stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("echo: say this");
  });

  test("embeddings: float arrays, and the SDK's default base64 decodes to the same vector", async () => {
    const floats = await client.embeddings.create({
      model: "e",
      input: ["a", "b"],
      encoding_format: "float",
    });
    expect(floats.object).toBe("list");
    expect(floats.data.map((d) => d.index)).toEqual([0, 1]);
    expect(floats.data[0]?.embedding).toEqual(fakeVector("a", 8));
    const decoded = await client.embeddings.create({ model: "e", input: "a", dimensions: 4 });
    expect(Array.from(decoded.data[0]?.embedding ?? [])).toEqual(fakeVector("a", 4));
  });

  test("models list", async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain("fake-model");
  });

  test("knob status via message marker gives the dialect's error body", async () => {
    const err = await client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: "hi [[fake:status=503]]" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiError = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(503);
    expect(apiError.type).toBe("server_error");
    expect(apiError.headers?.get("retry-after")).toBe("1");
  });

  test("a missing field is a 400 naming the param", async () => {
    const res = await fetch(`${fake.url}/v1/chat/completions`, { method: "POST", body: '{"model":"m"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "messages", type: "invalid_request_error" } });
  });

  test("an api key, when configured, is required", async () => {
    const locked = await startFakeUpstream({ apiKey: "right" });
    try {
      const wrong = new OpenAI({ apiKey: "wrong", baseURL: `${locked.url}/v1`, maxRetries: 0 });
      const err = await wrong.models.list().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      const chat = await wrong.chat.completions
        .create({ model: "m", messages: [{ role: "user", content: "x" }] })
        .catch((e: unknown) => e);
      expect(chat).toBeInstanceOf(OpenAI.AuthenticationError);
    } finally {
      await locked.stop();
    }
  });
});
