import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { ProviderCall } from "../provider.ts";
import { createMockProvider } from "./mock-provider.ts";

const mock = createMockProvider();
const callOf = (
  body: JsonObject,
  stream = false,
  operation: "chat" | "completions" = "chat",
): ProviderCall => ({
  operation,
  body: { model: "mock", messages: [{ role: "user", content: "hello there friend" }], ...body },
  stream,
  requestId: "r1",
  signal: new AbortController().signal,
  timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
});

type Choice = {
  index: number;
  message: { content: string };
  finish_reason: string;
  logprobs: { content: { token: string; logprob: number; top_logprobs: unknown[] }[] } | null;
};

async function whole(body: JsonObject) {
  const reply = await mock.call(callOf(body));
  if (reply.kind !== "json") throw new Error("not json");
  return reply.body as { choices: Choice[]; usage: { completion_tokens: number } };
}

/** A stream's chunks, and each choice's text and finish reason as a client assembles them. */
async function streamed(body: JsonObject) {
  const reply = await mock.call(callOf({ ...body, stream_options: { include_usage: true } }, true));
  if (reply.kind !== "stream") throw new Error("not a stream");
  const chunks: JsonObject[] = [];
  for await (const event of reply.events) if (event.data !== "[DONE]") chunks.push(JSON.parse(event.data));
  const choices = new Map<number, { text: string; finish?: string }>();
  for (const chunk of chunks) {
    for (const c of chunk.choices as {
      index: number;
      delta: { content?: string };
      finish_reason: string | null;
    }[]) {
      const seen = choices.get(c.index) ?? { text: "" };
      seen.text += c.delta.content ?? "";
      if (c.finish_reason) seen.finish = c.finish_reason;
      choices.set(c.index, seen);
    }
  }
  return { chunks, choices: [...choices.values()] };
}

describe("the mock provider answers as a model would", () => {
  test("n choices, in a whole answer and a stream", async () => {
    const answer = await whole({ n: 3 });
    expect(answer.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(answer.choices[2]?.message.content).toContain("You said: hello there friend");
    const stream = await streamed({ n: 2 });
    expect(stream.choices).toHaveLength(2);
    expect(stream.choices[1]).toEqual({ text: answer.choices[1]?.message.content ?? "", finish: "stop" });
    const bad = await mock.call(callOf({ n: 1000 })).catch((e: unknown) => e as GatewayError);
    expect([(bad as GatewayError).status, (bad as GatewayError).param]).toEqual([400, "n"]);
  });

  test("max tokens cut the answer with finish_reason length; usage counts what was sent", async () => {
    const answer = await whole({ max_completion_tokens: 3 });
    expect(answer.choices[0]?.finish_reason).toBe("length");
    expect(answer.choices[0]?.message.content).toBe("This is the ");
    expect(answer.usage.completion_tokens).toBe(3);
    const stream = await streamed({ max_tokens: 3 });
    expect(stream.choices).toEqual([{ text: "This is the ", finish: "length" }]);
    expect(stream.chunks.at(-1)?.usage).toMatchObject({ completion_tokens: 3 });
    const legacy = await mock.call(callOf({ prompt: "hi", max_tokens: 2 }, false, "completions"));
    expect(legacy.kind === "json" && legacy.body.choices).toMatchObject([
      { text: "This is ", finish_reason: "length" },
    ]);
  });

  test("stop sequences end the answer before them, finish_reason stop", async () => {
    const answer = await whole({ stop: ["zzz", " mock"] });
    expect(answer.choices[0]).toMatchObject({
      message: { content: "This is the mindgw" },
      finish_reason: "stop",
    });
    expect((await streamed({ stop: "mindgw" })).choices).toEqual([{ text: "This is the ", finish: "stop" }]);
  });

  test("logprobs: each token's, with top_logprobs alternatives, whole and streamed", async () => {
    const answer = await whole({ logprobs: true, top_logprobs: 2, max_tokens: 2 });
    const content = answer.choices[0]?.logprobs?.content ?? [];
    expect(content.map((entry) => entry.token).join("")).toBe(answer.choices[0]?.message.content ?? "-");
    expect(content[0]).toMatchObject({
      logprob: 0,
      top_logprobs: [{ token: "This ", logprob: 0 }, { logprob: -2 }],
    });
    expect((await whole({})).choices[0]?.logprobs).toBeNull();
    const stream = await streamed({ logprobs: true });
    const first = (stream.chunks[0]?.choices ?? []) as Choice[];
    expect(first[0]?.logprobs?.content[0]?.token).toBe("This ");
  });

  test("response_format json_object and json_schema: JSON a parser takes, streamed alike", async () => {
    const object = await whole({ response_format: { type: "json_object" } });
    expect(JSON.parse(object.choices[0]?.message.content ?? "")).toEqual({
      answer: "This is the mindgw mock model. You said: hello there friend",
    });
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer", minimum: 18 } },
      required: ["name", "age"],
      additionalProperties: false,
    };
    const format = { type: "json_schema", json_schema: { name: "person", strict: true, schema } };
    const person = await whole({ response_format: format });
    const parsed = JSON.parse(person.choices[0]?.message.content ?? "") as { age: number };
    expect(parsed.age).toBe(18);
    const stream = await streamed({ response_format: format });
    expect(stream.chunks.length).toBeGreaterThan(3);
    expect(JSON.parse(stream.choices[0]?.text ?? "")).toEqual(parsed);
  });

  test("completions: a choice for each prompt of a list, n each, in OpenAI's order; echo writes the prompt first", async () => {
    const completions = (body: JsonObject, stream = false) =>
      mock.call(callOf({ messages: undefined, ...body }, stream, "completions"));
    const said = (prompt: string) => `This is the mindgw mock model. You said: ${prompt}`;
    const reply = await completions({ prompt: ["first prompt", "second prompt"], n: 2 });
    if (reply.kind !== "json") throw new Error("not json");
    const choices = reply.body.choices as { index: number; text: string }[];
    // Prompt-major: the first prompt's n choices, then the second's.
    expect(choices.map((c) => [c.index, c.text])).toEqual([
      [0, said("first prompt")],
      [1, said("first prompt")],
      [2, said("second prompt")],
      [3, said("second prompt")],
    ]);
    // Each prompt counts once in the prompt's tokens: 3 + 4 at four characters a token.
    expect(reply.body.usage).toMatchObject({ prompt_tokens: 7 });
    const echoed = await completions({ prompt: "hi there", echo: true, max_tokens: 2 });
    if (echoed.kind !== "json") throw new Error("not json");
    // The prompt before the answer, which alone counts as the completion (2 tokens, cut at them).
    expect(echoed.body.choices).toMatchObject([{ text: "hi thereThis is ", finish_reason: "length" }]);
    expect(echoed.body.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 2 });
    const stream = await completions({ prompt: ["a", "b"], echo: true }, true);
    if (stream.kind !== "stream") throw new Error("not a stream");
    const texts = new Map<number, string>();
    for await (const event of stream.events) {
      if (event.data === "[DONE]") continue;
      for (const c of JSON.parse(event.data).choices as { index: number; text: string }[])
        texts.set(c.index, (texts.get(c.index) ?? "") + c.text);
    }
    expect([...texts.entries()]).toEqual([
      [0, `a${said("a")}`],
      [1, `b${said("b")}`],
    ]);
    // Token ids are one prompt a list; the mock has no tokenizer, so it says their numbers.
    const ids = await completions({ prompt: [[1, 2], [3]] });
    expect(ids.kind === "json" && ids.body.choices).toMatchObject([
      { text: said("1 2") },
      { text: said("3") },
    ]);
  });

  test("its answers name the model as the client asked for it: the mock is no upstream", async () => {
    const asked = { askedModel: "client-name" };
    const chat = await mock.call({ ...callOf({}), ...asked });
    expect(chat.kind === "json" && chat.body.model).toBe("client-name");
    const stream = await mock.call({ ...callOf({}, true), ...asked });
    if (stream.kind !== "stream") throw new Error("not a stream");
    for await (const event of stream.events)
      if (event.data !== "[DONE]") expect(JSON.parse(event.data).model).toBe("client-name");
    const embedded = await mock.call({
      ...callOf({}),
      operation: "embeddings",
      body: { model: "mock-emb", input: "x" },
      ...asked,
    });
    expect(embedded.kind === "json" && embedded.body.model).toBe("client-name");
  });
});
