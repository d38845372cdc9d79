import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import {
  type AuditRecord,
  createGateway,
  type Gateway,
  type JsonObject,
  type ProviderReply,
  parseConfig,
  type SseEvent,
  silentLogger,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's provider that builds its own answer (`kind: "json"`) or hands back events already
// in the caller's dialect (`kind: "stream"`): an answer with no answer in it is the upstream's
// failure, read as a body or a stream relayed as bytes is (core/holds-no-answer.ts,
// routing/no-choice.ts) — a 502 in the caller's dialect naming the provider, or the next route —
// and Claude's turn ended with nothing said (`content: []` at `end_turn`) stays an answer.

const head = { id: "c1", object: "chat.completion.chunk", created: 1, model: "m" };
const chunk = (choices: unknown, extra: JsonObject = {}): SseEvent => ({
  data: JSON.stringify({ ...head, choices, ...extra }),
});
const usage = { prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 };
/** Azure's first chunk, its prompt's filter results: no choice, the answer after it. */
const promptFilter = chunk([], { prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] });
const DONE: SseEvent = { data: "[DONE]" };
/** The answer's first chunk, its role: a choice, nothing said yet. */
const roleChunk = chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]);

const streamOf = (events: SseEvent[]): ProviderReply => ({
  kind: "stream",
  events: (async function* () {
    yield* events;
  })(),
});

/** What each provider answers, by its name; every one but `claude-*` speaks OpenAI's dialect. */
const answers: Record<string, () => ProviderReply> = {
  "no-choice": () => ({ kind: "json", body: { id: "c1", object: "chat.completion", choices: [], usage } }),
  "empty-object": () => ({ kind: "json", body: {} }),
  "claude-empty-turn": () => ({
    kind: "json",
    body: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 0 },
    },
  }),
  "claude-no-content": () => ({ kind: "json", body: { id: "msg_1", type: "message", role: "assistant" } }),
  "no-choice-stream": () => streamOf([promptFilter, chunk([], { usage }), DONE]),
  "filtered-then-answer": () =>
    streamOf([
      promptFilter,
      roleChunk,
      chunk([{ index: 0, delta: { content: "hi" }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
      DONE,
    ]),
  "done-alone": () => streamOf([DONE]),
  // A choice, then the end: an answer with nothing said (relay-scan.ts `watchOpening`), no usage in it.
  "role-done": () => streamOf([roleChunk, DONE]),
  "filter-role-done": () => streamOf([promptFilter, roleChunk, DONE]),
  // Azure's filter chunk, then the stream breaks: nothing of the answer sent, so still the router's.
  "filtered-then-breaks": () => ({
    kind: "stream",
    events: (async function* () {
      yield promptFilter;
      throw new Error("the plug-in's stream broke");
    })(),
  }),
  "served-stream": () =>
    streamOf([
      chunk([{ index: 0, delta: { role: "assistant", content: "served" }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: "stop" }]),
      DONE,
    ]),
  served: () => ({
    kind: "json",
    body: {
      id: "c2",
      object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: "served" }, finish_reason: "stop" }],
      usage,
    },
  }),
};

const finished: AuditRecord[] = [];
let gateway: Gateway;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  const names = Object.keys(answers);
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: names.map((name) => ({ name, type: "mock" })),
      models: [
        ...names.map((name) => ({ name, routes: [{ provider: name, model: name }] })),
        {
          name: "filtered-then-breaks-then-served",
          routes: [
            { provider: "filtered-then-breaks", model: "filtered-then-breaks" },
            { provider: "served-stream", model: "served-stream" },
          ],
        },
        {
          name: "no-choice-then-served",
          routes: [
            { provider: "no-choice", model: "no-choice" },
            { provider: "served", model: "served" },
          ],
        },
      ],
    }),
    providers: (config) => ({
      name: config.name,
      dialect: config.name.startsWith("claude-") ? "anthropic" : "openai",
      call: async () => {
        const answer = answers[config.name];
        if (!answer) throw new Error(`no answer for ${config.name}`);
        return answer();
      },
    }),
    auth: async () => jwtCaller,
    logger: silentLogger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  const base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "t", maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: base, apiKey: "t", maxRetries: 0 });
});
afterAll(() => gateway.stop());

const statusOf = (requestId: string | null | undefined) =>
  waitForValue(`the audit row of ${requestId}`, () =>
    finished.find((row) => row.requestId === requestId),
  ).then((row) => row.status);

const user = [{ role: "user" as const, content: "hi" }];
const chatFailure = (model: string, stream = false) =>
  openai.chat.completions.create({ model, messages: user, stream }).catch((e: unknown) => e) as Promise<
    InstanceType<typeof OpenAI.APIError>
  >;
const messagesFailure = (model: string) =>
  anthropic.messages.create({ model, max_tokens: 8, messages: user }).catch((e: unknown) => e) as Promise<
    InstanceType<typeof Anthropic.APIError>
  >;

describe("an embedder's provider's own whole answer", () => {
  test("a chat answer with no choice, or an empty object: a 502 upstream_error naming the provider, audited so", async () => {
    for (const model of ["no-choice", "empty-object"]) {
      const failed = await chatFailure(model);
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      expect([failed.status, failed.code]).toEqual([502, "upstream_error"]);
      expect(failed.message).toContain(`upstream ${model} sent a body with no answer in it`);
      expect(await statusOf(failed.requestID)).toBe(502);
    }
  });

  test("with another route: failed over to it, which serves", async () => {
    const answer = await openai.chat.completions.create({ model: "no-choice-then-served", messages: user });
    expect(answer.choices[0]?.message.content).toBe("served");
  });

  test("a Messages answer without its content list is a 502 api_error; Claude's turn ended with nothing said is an answer", async () => {
    const failed = await messagesFailure("claude-no-content");
    expect(failed).toBeInstanceOf(Anthropic.APIError);
    expect([failed.status, failed.error]).toMatchObject([
      502,
      { type: "error", error: { type: "api_error" } },
    ]);
    const { data, response } = await anthropic.messages
      .create({ model: "claude-empty-turn", max_tokens: 8, messages: user })
      .withResponse();
    expect([data.stop_reason, data.content]).toEqual(["end_turn", []]);
    expect(await statusOf(response.headers.get("x-request-id"))).toBe(200);
  });
});

describe("an embedder's provider's events in the caller's dialect", () => {
  test("chunks without a choice then [DONE], or [DONE] alone: a 502 naming the provider before any byte, to a chat caller and translated for a Messages one", async () => {
    for (const model of ["no-choice-stream", "done-alone"]) {
      const failed = await chatFailure(model, true);
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      expect([failed.status, failed.code]).toEqual([502, "upstream_error"]);
      expect(failed.message).toContain(`upstream ${model} sent a body with no answer in it`);
      expect(await statusOf(failed.requestID)).toBe(502);
    }
    const across = (await anthropic.messages
      .create({ model: "no-choice-stream", max_tokens: 8, messages: user, stream: true })
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(across).toBeInstanceOf(Anthropic.APIError);
    expect([
      across.status,
      across.message.includes("upstream no-choice-stream sent a body with no answer in it"),
    ]).toEqual([502, true]);
  });

  test("Azure's prompt filter chunk opens the answer, as the relay holds it: a failure right after it fails over; the answer after it is relayed whole", async () => {
    const served = await openai.chat.completions.create({
      model: "filtered-then-breaks-then-served",
      messages: user,
      stream: true,
    });
    let text = "";
    for await (const chunk of served) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("served");
    const stream = openai.chat.completions.stream({ model: "filtered-then-answer", messages: user });
    expect((await stream.finalChatCompletion()).choices[0]?.message.content).toBe("hi");
  });

  test("a role chunk then [DONE], Azure's filter chunk before it or not: an answer, ending with the usage chunk a caller that asked for usage is owed, as the byte relay's", async () => {
    // The byte relay's for the same bodies (owed-usage.ts): each event but [DONE] a token of the estimate.
    for (const [model, events] of [
      ["role-done", 1],
      ["filter-role-done", 2],
    ] as const) {
      const { data: stream, response } = await openai.chat.completions
        .create({ model, messages: user, stream: true, stream_options: { include_usage: true } })
        .withResponse();
      const got: { choices: number; completion: number | undefined }[] = [];
      for await (const part of stream)
        got.push({ choices: part.choices.length, completion: part.usage?.completion_tokens });
      const opening = model === "role-done" ? [] : [{ choices: 0, completion: undefined }];
      expect({ model, got }).toEqual({
        model,
        got: [...opening, { choices: 1, completion: undefined }, { choices: 0, completion: events }],
      });
      expect(await statusOf(response.headers.get("x-request-id"))).toBe(200);
    }
  });
});
