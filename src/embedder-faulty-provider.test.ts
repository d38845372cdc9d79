import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  type AuditRecord,
  type Authenticator,
  createGateway,
  createProvider,
  type Gateway,
  type Provider,
  type ProviderFactory,
  type ProviderReply,
  parseConfig,
  type SseEvent,
  silentLogger,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's provider that fails in every way a plug-in can: throws (an Error, or no Error at
// all), answers with a reply the gateway cannot read, a stream of garbage or one that breaks or
// stalls, or never answers. Each caller gets an error in its own dialect with its request id, each
// request has its audit row, and the gateway serves the next request.

const anyone: Authenticator = async () => jwtCaller;
const never = new Promise<never>(() => {});

const chunk = (content: string): SseEvent => ({
  data: JSON.stringify({
    id: "c1",
    object: "chat.completion.chunk",
    created: 1,
    model: "m",
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  }),
});

const stream = (events: () => AsyncIterable<SseEvent>): ProviderReply => ({
  kind: "stream",
  events: events(),
});

/** What each faulty provider does with a call, by its config name. */
const faults: Record<string, (call: Parameters<Provider["call"]>[0]) => Promise<ProviderReply>> = {
  throws: async () => {
    throw new Error("the plug-in broke");
  },
  "throws-nothing": async () => {
    throw undefined;
  },
  "malformed-reply": async () => ({ kind: "bogus" }) as unknown as ProviderReply,
  "json-not-an-answer": async () => ({ kind: "json", body: { nothing: "here" } }),
  "garbled-stream": async () =>
    stream(async function* () {
      yield { data: "this is not JSON {" };
      yield { data: "[DONE]" };
    }),
  "garbled-later-stream": async () =>
    stream(async function* () {
      yield chunk("half ");
      yield { data: '{"choices": [' };
      yield { data: "[DONE]" };
    }),
  "breaks-stream": async () =>
    stream(async function* () {
      yield chunk("half ");
      throw new Error("the plug-in's stream broke");
    }),
  "cut-stream": async () =>
    stream(async function* () {
      yield chunk("half ");
    }),
  "stalls-stream": async () =>
    stream(async function* () {
      yield chunk("half ");
      await never;
    }),
  hangs: async () => never,
};

const healthy: Provider = {
  name: "healthy",
  dialect: "openai",
  async call() {
    return {
      kind: "json",
      body: {
        id: "c1",
        object: "chat.completion",
        created: 1,
        model: "healthy",
        choices: [{ index: 0, message: { role: "assistant", content: "fine" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
    };
  },
};

const providers: ProviderFactory = (config, context) => {
  const fault = faults[config.name];
  if (config.name === "healthy") return healthy;
  return fault ? { name: config.name, dialect: "openai", call: fault } : createProvider(config, context);
};

const names = [...Object.keys(faults), "healthy"];
let gateway: Gateway;
const finished: AuditRecord[] = [];

beforeAll(async () => {
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      server: { drain_timeout: "2s" },
      routing: { retries: 0, timeouts: { connect: "300ms", first_byte: "300ms", idle: "300ms" } },
      providers: names.map((name) => ({ name, type: "mock" })),
      models: names.map((name) => ({ name, routes: [{ provider: name, model: name }] })),
    }),
    providers,
    auth: anyone,
    logger: silentLogger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
});
afterAll(() => gateway.stop());

const ask = (path: string, body: object) =>
  gateway.handle(
    new Request(`http://gw${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer t" },
      body: JSON.stringify(body),
    }),
  );
const chat = (model: string, stream = false) =>
  ask("/v1/chat/completions", { model, stream, messages: [{ role: "user", content: "hi" }] });
const messages = (model: string, stream = false) =>
  ask("/v1/messages", { model, stream, max_tokens: 8, messages: [{ role: "user", content: "hi" }] });

const rowOf = (response: Response) => {
  const id = response.headers.get("x-request-id") ?? "";
  return waitForValue(`the audit row of ${id}`, () => finished.find((record) => record.requestId === id));
};

const servesOn = async () => {
  const response = await chat("healthy");
  expect(response.status).toBe(200);
};

const failsBeforeAnswer: Record<string, string> = {
  throws: "throws an Error",
  "throws-nothing": "throws no Error at all",
  "malformed-reply": "answers with a reply of no known kind",
  "garbled-stream": "streams an event that is no JSON first",
  hangs: "never answers",
};
for (const [model, does] of Object.entries(failsBeforeAnswer))
  test(`a provider that ${does}: an error answer in each caller's dialect, stream or not, its audit row, and the gateway serves on`, async () => {
    for (const streamed of [false, true]) {
      const openai = await chat(model, streamed);
      expect(openai.status).toBeGreaterThanOrEqual(500);
      const openaiBody = (await openai.json()) as { error?: { message?: unknown; type?: unknown } };
      expect(typeof openaiBody.error?.message).toBe("string");
      expect(typeof openaiBody.error?.type).toBe("string");
      expect((await rowOf(openai)).status).toBe(openai.status);

      const anthropic = await messages(model, streamed);
      expect(anthropic.status).toBeGreaterThanOrEqual(500);
      const anthropicBody = (await anthropic.json()) as { type?: unknown; error?: { message?: unknown } };
      expect(anthropicBody.type).toBe("error");
      expect(typeof anthropicBody.error?.message).toBe("string");
      expect((await rowOf(anthropic)).status).toBe(anthropic.status);
    }
    await servesOn();
  });

test("a provider whose whole answer is no chat completion: the OpenAI caller gets it as sent, the Anthropic caller an error in its dialect, each its row", async () => {
  const openai = await chat("json-not-an-answer");
  expect((await rowOf(openai)).status).toBe(openai.status);
  const anthropic = await messages("json-not-an-answer");
  const body = (await anthropic.json()) as { type?: unknown; error?: { message?: unknown } };
  expect({ status: anthropic.status >= 500, type: body.type }).toEqual({ status: true, type: "error" });
  expect((await rowOf(anthropic)).status).toBe(anthropic.status);
  await servesOn();
});

const failsMidStream: Record<string, string> = {
  "garbled-later-stream":
    "sends an event that is no JSON after the answer began (as the byte relay's, RELIABILITY.md)",
  "breaks-stream": "throws after the answer began",
  "cut-stream": "ends after the answer began, before its finish and its end marker",
  "stalls-stream": "goes quiet after the answer began",
};
for (const [model, does] of Object.entries(failsMidStream))
  test(`a provider whose stream ${does}: the stream ends with an error event in each caller's dialect, its row a failure, and the gateway serves on`, async () => {
    const openai = await chat(model, true);
    const openaiText = await openai.text();
    expect(openaiText).toStartWith('data: {"id":"c1"');
    expect(openaiText).toMatch(/data: \{"error":\{"message":"[^"]+","type":"server_error"/);
    expect((await rowOf(openai)).status).toBeGreaterThanOrEqual(500);

    const anthropic = await messages(model, true);
    const anthropicText = await anthropic.text();
    expect(anthropicText).toMatch(/event: error\n/);
    expect((await rowOf(anthropic)).status).toBeGreaterThanOrEqual(500);
    await servesOn();
  });

test("a provider whose stream ends before its finish and its end marker: every caller's error event names it, relayed in its dialect or translated", async () => {
  const says = "upstream cut-stream ended the stream without its end marker";
  expect(await (await chat("cut-stream", true)).text()).toContain(says);
  expect(await (await messages("cut-stream", true)).text()).toContain(says);
});
