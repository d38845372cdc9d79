import { beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { zodFunction, zodResponseFormat, zodTextFormat } from "openai/helpers/zod";
import { z } from "zod";
import { gatewayFixture } from "./harness/gateway-fixture.ts";

// The built-in mock provider, what a newcomer tries first, through the compiled gateway and the
// official SDKs: structured output with `.parse()`, n, max tokens and stop sequences, on chat
// and through the translations that reach it (Responses, Anthropic Messages), and the tool call a
// request's tool_choice forces.

const fx = gatewayFixture({
  fake: null,
  fakeRoutes: false,
  config: {
    providers: [{ name: "mock", type: "mock" }],
    models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
  },
});

let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(() => {
  openai = new OpenAI({ baseURL: fx.url("/v1"), apiKey: fx.adminKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: fx.gw.url, apiKey: fx.adminKey, maxRetries: 0 });
});

const Person = z.object({ name: z.string(), age: z.number().int().min(18), tags: z.array(z.string()) });
const hi = [{ role: "user" as const, content: "hi" }];

describe("the mock provider through the SDKs", () => {
  test("chat.completions.parse() with a zod json_schema, whole and streamed", async () => {
    const completion = await openai.chat.completions.parse({
      model: "mock",
      messages: hi,
      response_format: zodResponseFormat(Person, "person"),
    });
    const parsed = completion.choices[0]?.message.parsed;
    expect(parsed).toEqual({ name: expect.any(String), age: 18, tags: [] });
    const streamed = await openai.chat.completions
      .stream({ model: "mock", messages: hi, response_format: zodResponseFormat(Person, "person") })
      .finalChatCompletion();
    expect(streamed.choices[0]?.message.parsed).toEqual(parsed ?? null);
  });

  test("n choices; max_completion_tokens cuts with finish_reason length; stop sequences stop", async () => {
    const many = await openai.chat.completions.create({ model: "mock", messages: hi, n: 2 });
    expect(many.choices.map((c) => c.index)).toEqual([0, 1]);
    const streamedMany = await openai.chat.completions
      .stream({ model: "mock", messages: hi, n: 2 })
      .finalChatCompletion();
    expect(streamedMany.choices).toHaveLength(2);
    const cut = await openai.chat.completions.create({
      model: "mock",
      messages: hi,
      max_completion_tokens: 2,
    });
    expect(cut.choices[0]).toMatchObject({ finish_reason: "length", message: { content: "This is " } });
    expect(cut.usage?.completion_tokens).toBe(2);
    const stopped = await openai.chat.completions.create({ model: "mock", messages: hi, stop: [" mock"] });
    expect(stopped.choices[0]).toMatchObject({
      finish_reason: "stop",
      message: { content: "This is the mindgw" },
    });
    const logprobs = await openai.chat.completions.create({
      model: "mock",
      messages: hi,
      logprobs: true,
      top_logprobs: 1,
    });
    expect(logprobs.choices[0]?.logprobs?.content?.[0]).toMatchObject({ token: "This ", logprob: 0 });
  });

  test("a tool call tool_choice forces (required, or a function named) is answered as one, its arguments valid against its parameters, whole and streamed", async () => {
    // Before: the echo as text, finish_reason "stop", where a model must call a tool; code reading
    // the call (the SDK's parsed_arguments, an agent loop) broke on the mock and worked on a model.
    const lookup = zodFunction({ name: "lookup", parameters: Person });
    const tools = [zodFunction({ name: "other", parameters: z.object({ q: z.string() }) }), lookup];
    const required = await openai.chat.completions.parse({
      model: "mock",
      messages: hi,
      tools,
      tool_choice: "required",
    });
    const call = required.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" ? [call.function.name, call.function.parsed_arguments] : call).toEqual([
      "other",
      { q: expect.any(String) },
    ]);
    // OpenAI's finish for each (as vLLM answers it too): tool_calls when required, stop when named.
    expect(required.choices[0]?.finish_reason).toBe("tool_calls");
    const named = { type: "function" as const, function: { name: "lookup" } };
    const whole = await openai.chat.completions.parse({
      model: "mock",
      messages: hi,
      tools,
      tool_choice: named,
    });
    const streamed = await openai.chat.completions
      .stream({ model: "mock", messages: hi, tools, tool_choice: named })
      .finalChatCompletion();
    for (const answer of [whole, streamed]) {
      const choice = answer.choices[0];
      const named = choice?.message.tool_calls?.[0];
      expect(named?.type === "function" ? named.function.parsed_arguments : named).toEqual({
        name: expect.any(String),
        age: 18,
        tags: [],
      });
      expect(choice?.finish_reason).toBe("stop");
    }
    // An Anthropic caller's tool_choice, translated: a tool_use block whose input fits the schema.
    const message = await anthropic.messages.create({
      model: "mock",
      max_tokens: 200,
      messages: hi,
      tools: [
        {
          name: "record",
          input_schema: {
            type: "object",
            properties: { n: { type: "integer", minimum: 3 } },
            required: ["n"],
          },
        },
      ],
      tool_choice: { type: "tool", name: "record" },
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content[0]).toMatchObject({ type: "tool_use", name: "record", input: { n: 3 } });
    // Left free (auto), the mock answers in text as before.
    const free = await openai.chat.completions.create({ model: "mock", messages: hi, tools });
    expect(free.choices[0]?.message.tool_calls ?? []).toEqual([]);
  });

  test("completions: logprobs (an integer, up to 5) answered in completions' shape, whole, echoed and streamed; past 5 a 400", async () => {
    const whole = await openai.completions.create({
      model: "mock",
      prompt: "hi",
      max_tokens: 3,
      logprobs: 2,
    });
    const choice = whole.choices[0];
    // Before: `logprobs: null`, the field dropped without a word.
    expect(choice?.logprobs).toEqual({
      tokens: ["This ", "is ", "the "],
      token_logprobs: [0, 0, 0],
      top_logprobs: [
        { "This ": 0, " the": -2 },
        { "is ": 0, " the": -2 },
        { "the ": 0, " the": -2 },
      ],
      text_offset: [0, 5, 8],
    });
    expect(choice?.logprobs?.tokens?.join("")).toBe(choice?.text);
    // Echoed, the prompt comes first, its logprob null as OpenAI's first prompt token's.
    const echoed = await openai.completions.create({
      model: "mock",
      prompt: "hi",
      max_tokens: 2,
      logprobs: 0,
      echo: true,
    });
    expect(echoed.choices[0]?.text).toBe("hiThis is ");
    expect(echoed.choices[0]?.logprobs).toEqual({
      tokens: ["hi", "This ", "is "],
      token_logprobs: [null, 0, 0],
      top_logprobs: null,
      text_offset: [0, 2, 7],
    } as never);
    // Streamed, each chunk's offsets go on from the text before it.
    const stream = await openai.completions.create({
      model: "mock",
      prompt: "hi",
      max_tokens: 3,
      logprobs: 1,
      stream: true,
    });
    const offsets: number[] = [];
    let text = "";
    for await (const chunk of stream) {
      const part = chunk.choices[0];
      if (part?.logprobs?.tokens?.length) {
        expect(part.logprobs.tokens.join("")).toBe(part.text);
        offsets.push(...(part.logprobs.text_offset ?? []));
      }
      text += part?.text ?? "";
    }
    expect(text).toBe("This is the ");
    expect(offsets).toEqual([0, 5, 8]);
    const tooMany = await openai.completions
      .create({ model: "mock", prompt: "hi", logprobs: 6 })
      .catch((error: unknown) => error);
    expect(tooMany).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooMany as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("logprobs");
  });

  test("completions: best_of candidates made and billed, n of them answered; fewer than n, or streamed, a 400 naming best_of", async () => {
    const best = await openai.completions.create({
      model: "mock",
      prompt: "hi",
      max_tokens: 2,
      n: 2,
      best_of: 3,
    });
    expect(best.choices.map((c) => [c.index, c.text])).toEqual([
      [0, "This is "],
      [1, "This is "],
    ]);
    // Before: 4, the two answered; OpenAI bills every candidate it made.
    expect(best.usage?.completion_tokens).toBe(6);
    const badRequest = (error: unknown) =>
      error instanceof OpenAI.BadRequestError ? { status: error.status, param: error.param } : error;
    const fewer = await openai.completions
      .create({ model: "mock", prompt: "hi", n: 2, best_of: 1 })
      .catch(badRequest);
    expect(fewer).toEqual({ status: 400, param: "best_of" });
    const streamed = await openai.completions
      .create({ model: "mock", prompt: "hi", best_of: 2, stream: true })
      .catch(badRequest);
    expect(streamed).toEqual({ status: 400, param: "best_of" });
  });

  test("completions: a suffix (text to insert before) is a 400 naming it, as vLLM refuses it: the mock only continues", async () => {
    const refused = await openai.completions
      .create({ model: "mock", prompt: "def add(a, b):", suffix: "\n  return c" })
      .catch((error: unknown) => error);
    // Before: answered 200 as if no suffix had been asked.
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("suffix");
    const empty = await openai.completions.create({ model: "mock", prompt: "hi", suffix: "", max_tokens: 2 });
    expect(empty.choices[0]?.text).toBe("This is ");
  });

  test("embeddings: dimensions up to 3072 make vectors that long, base64 (the SDK's default) and float; past it a 400 naming dimensions", async () => {
    const longest = await openai.embeddings.create({ model: "mock", input: ["a", "b"], dimensions: 3072 });
    expect(longest.data.map((d) => [d.index, d.embedding.length])).toEqual([
      [0, 3072],
      [1, 3072],
    ]);
    const floats = await openai.embeddings.create({
      model: "mock",
      input: "a",
      dimensions: 16,
      encoding_format: "float",
    });
    expect(floats.data[0]?.embedding).toHaveLength(16);
    // Before: a vector of 3072 numbers, answered 200 to a caller that asked for 5000.
    const tooLong = await openai.embeddings
      .create({ model: "mock", input: "a", dimensions: 5000 })
      .catch((error: unknown) => error);
    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    expect((tooLong as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("dimensions");
  });

  test("Responses: responses.parse() with zodTextFormat; max_output_tokens makes it incomplete", async () => {
    const response = await openai.responses.parse({
      model: "mock",
      input: "hi",
      text: { format: zodTextFormat(Person, "person") },
    });
    expect(response.output_parsed).toEqual({ name: expect.any(String), age: 18, tags: [] });
    const long = "tell me more ".repeat(10);
    const short = await openai.responses.create({ model: "mock", input: long, max_output_tokens: 16 });
    expect(short.status).toBe("incomplete");
    expect(short.incomplete_details?.reason).toBe("max_output_tokens");
  });

  test("Anthropic Messages: max_tokens is stop_reason max_tokens, a stop sequence is stop_sequence", async () => {
    const short = await anthropic.messages.create({ model: "mock", max_tokens: 2, messages: hi });
    expect(short.stop_reason).toBe("max_tokens");
    expect(short.content[0]).toMatchObject({ type: "text", text: "This is " });
    const stopped = await anthropic.messages
      .stream({ model: "mock", max_tokens: 100, stop_sequences: ["mindgw"], messages: hi })
      .finalMessage();
    expect(stopped.content[0]).toMatchObject({ type: "text", text: "This is the " });
    expect([stopped.stop_reason, stopped.stop_sequence]).toEqual(["stop_sequence", "mindgw"]);
  });
});
