import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { FAKE_TOOL_ARGUMENTS } from "./fake-script.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake-upstream.ts";

let fake: FakeUpstream;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeUpstream({ apiKey: "ak-test", requireAnthropicVersion: true });
  client = new Anthropic({ apiKey: "ak-test", baseURL: fake.url, maxRetries: 0, timeout: 10_000 });
});
afterAll(() => fake.stop());

const tool = { name: "get_weather", input_schema: { type: "object" as const, properties: {} } };
const ask = (text: string) => [{ role: "user" as const, content: text }];

describe("fake upstream, through the official @anthropic-ai/sdk", () => {
  test("non-stream message", async () => {
    const msg = await client.messages.create({
      model: "claude-fake",
      max_tokens: 100,
      messages: ask("hi you"),
    });
    expect(msg).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-fake",
      stop_sequence: null,
    });
    expect(msg.id).toStartWith("msg_");
    expect(msg.content).toEqual([{ type: "text", text: "echo: hi you" } as Anthropic.TextBlock]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage).toMatchObject({ input_tokens: 2, output_tokens: 3 });
    const seen = fake.requests.at(-1);
    expect(seen?.headers.authorization ?? seen?.headers["x-api-key"]).toContain("ak-test");
    expect(seen?.headers["anthropic-version"]).toBeString();
  });

  test("raw stream has the real event sequence", async () => {
    const stream = await client.messages.create({
      model: "claude-fake",
      max_tokens: 100,
      messages: ask("a b"),
      stream: true,
    });
    const types: string[] = [];
    let text = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    }
    expect(types).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(text).toBe("echo: a b");
    const wire = await (await rawStream("a b")).text();
    expect(wire).toContain("event: ping\n");
    expect(wire.indexOf("event: ping")).toBeGreaterThan(wire.indexOf("event: content_block_start"));
  });

  test("tools: streamed input_json_delta accumulates to the fixed input", async () => {
    const final = await client.messages
      .stream({ model: "claude-fake", max_tokens: 100, messages: ask("weather?"), tools: [tool] })
      .finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content[0]).toMatchObject({
      type: "tool_use",
      name: "get_weather",
      input: FAKE_TOOL_ARGUMENTS,
    });
  });

  test("count_tokens", async () => {
    const count = await client.messages.countTokens({ model: "claude-fake", messages: ask("one two three") });
    expect(count.input_tokens).toBe(3);
  });

  test("knob status 529 is an overloaded_error", async () => {
    const err = await client.messages
      .create({ model: "c", max_tokens: 10, messages: ask("x [[fake:status=529]]") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: "error",
      error: { type: "overloaded_error" },
    });
  });

  test("an error event inside a 200 stream makes the SDK throw", async () => {
    const stream = await client.messages.create({
      model: "c",
      max_tokens: 10,
      messages: ask("x [[fake:stream-error=3]]"),
      stream: true,
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["message_start", "content_block_start"]);
    expect(err).toBeInstanceOf(Anthropic.APIError);
  });

  test("missing key and missing version are refused like the real API", async () => {
    const noKey = await fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: { "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "c", max_tokens: 5, messages: ask("x") }),
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: "error", error: { type: "authentication_error" } });
    const noVersion = await fetch(`${fake.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "ak-test" },
      body: JSON.stringify({ model: "c", max_tokens: 5, messages: ask("x") }),
    });
    expect(noVersion.status).toBe(400);
  });

  test("thinking handed back without Claude's signature is refused as Claude does; a signed one taken", async () => {
    const call = { type: "tool_use" as const, id: "toolu_1", name: "get_weather", input: {} };
    const loop = (first: Anthropic.ContentBlockParam): Anthropic.MessageParam[] => [
      ...ask("weather?"),
      { role: "assistant", content: [first, call] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
    ];
    const refused = (messages: Anthropic.MessageParam[], thinking?: Anthropic.ThinkingConfigParam) =>
      client.messages
        .create({ model: "c", max_tokens: 2048, messages, tools: [tool], ...(thinking ? { thinking } : {}) })
        .then(
          () => undefined,
          (e: InstanceType<typeof Anthropic.APIError>) => [
            e.status,
            (e.error as { error: { message: string } }).error.message,
          ],
        );
    expect(await refused(loop({ type: "thinking", thinking: "hm", signature: "" }))).toEqual([
      400,
      "messages.1.content.0: Invalid `signature` in `thinking` block",
    ]);
    expect(
      await refused(loop({ type: "thinking", thinking: "hm", signature: "EqQBCkgIBhAB" })),
    ).toBeUndefined();
    // Extended thinking: the tool loop's assistant turn must begin with thinking.
    const [status, message] =
      (await refused(loop({ type: "text", text: "let me look" }), {
        type: "enabled",
        budget_tokens: 1024,
      })) ?? [];
    expect(status).toBe(400);
    expect(message).toStartWith(
      "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`.",
    );
  });

  test("a DeepSeek model takes thinking back whatever its signature, and refuses a tool-call turn without it", async () => {
    const call = { type: "tool_use" as const, id: "toolu_1", name: "get_weather", input: {} };
    const loop = (...turn: Anthropic.ContentBlockParam[]): Anthropic.MessageParam[] => [
      ...ask("weather?"),
      { role: "assistant", content: [...turn, call] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny" }] },
    ];
    const sent = (messages: Anthropic.MessageParam[]) =>
      client.messages.create({ model: "deepseek-v4-pro", max_tokens: 2048, messages, tools: [tool] }).then(
        () => 200,
        (e: InstanceType<typeof Anthropic.APIError>) => [
          e.status,
          (e.error as { error: { message: string } }).error.message,
        ],
      );
    expect(await sent(loop({ type: "thinking", thinking: "hm", signature: "" }))).toBe(200);
    expect(await sent(loop())).toEqual([
      400,
      "The `content[].thinking` in the thinking mode must be passed back to the API.",
    ]);
  });

  test("DeepSeek's thinking model thinks first, stream or not, its thinking signed with the message's id; not with thinking disabled", async () => {
    const params = { model: "deepseek-reasoner", max_tokens: 2048, messages: ask("weather?"), tools: [tool] };
    const whole = await client.messages.create(params);
    const thinking = { type: "thinking", thinking: "Thinking over 1 messages.", signature: whole.id };
    expect(whole.content.map((block) => block.type)).toEqual(["thinking", "tool_use"]);
    expect(whole.content[0]).toEqual(thinking as Anthropic.ThinkingBlock);
    const streamed = await client.messages.stream(params).finalMessage();
    expect(streamed.content[0]).toEqual({ ...thinking, signature: streamed.id } as Anthropic.ThinkingBlock);
    expect(streamed.content[1]).toMatchObject({ type: "tool_use", input: FAKE_TOOL_ARGUMENTS });
    const off = await client.messages.create({ ...params, thinking: { type: "disabled" } });
    expect(off.content.map((block) => block.type)).toEqual(["tool_use"]);
  });

  test("max_tokens is required", async () => {
    const err = await client.messages
      .create({ model: "c", messages: ask("x") } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });
});

function rawStream(text: string): Promise<Response> {
  return fetch(`${fake.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "ak-test", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "c", max_tokens: 50, stream: true, messages: ask(text) }),
  });
}
