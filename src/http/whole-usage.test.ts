import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { JsonObject } from "../core/dialect.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// Whole (non-stream) answers that pass through and say less than OpenAI's usage, through the real
// pipeline: a total only (Voyage's embeddings) is the prompt's count; no usage at all is estimated,
// never charged 0 tokens and $0 (tokens-per-minute limits and budgets would not see it).

/** What each upstream model answers, by the model it is asked for. */
const ANSWERS: Record<string, object> = {
  "emb-totalonly": {
    object: "list",
    data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
    model: "emb-totalonly",
    usage: { total_tokens: 2 },
  },
  "emb-nousage": {
    object: "list",
    data: [{ object: "embedding", index: 0, embedding: [0.1, 0.2] }],
    model: "emb-nousage",
  },
  // As some chat servers answer without `usage`.
  "chat-nousage": {
    id: "c1",
    object: "chat.completion",
    created: 1,
    model: "chat-nousage",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "x".repeat(40) },
        finish_reason: "stop",
      },
    ],
  },
  // An Anthropic-dialect server that leaves `usage` out of its message.
  "claude-nousage": {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-nousage",
    content: [{ type: "text", text: "x".repeat(40) }],
    stop_reason: "end_turn",
    stop_sequence: null,
  },
};

const GEMINI_NO_COUNT = {
  candidates: [{ content: { role: "model", parts: [{ text: "x".repeat(40) }] }, finishReason: "STOP" }],
  usageMetadata: { promptTokenCount: -1, candidatesTokenCount: -1 },
};

let gateway: UpstreamGateway;
let adminKey = "";
let finished: AuditRecord[] = [];
let gatewayUrl = "";

const post = (path: string, body: object, key = adminKey) =>
  fetch(`${gatewayUrl}/v1/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });

const rowOf = (response: Response) => recordOf(finished, response);

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      // Gemini names its model in the path: its counts are none (-1), as no figure at all is.
      if (new URL(request.url).pathname.endsWith(":generateContent")) return Response.json(GEMINI_NO_COUNT);
      const { model } = (await request.json()) as { model: string };
      return Response.json(ANSWERS[model] ?? { error: { message: "unknown model" } });
    },
    (upstream) => ({
      providers: [
        { name: "up", type: "openai", base_url: `${upstream}/v1` },
        { name: "an", type: "anthropic", base_url: `${upstream}`, api_key: "k" },
        { name: "gm", type: "gemini", base_url: `${upstream}/v1beta`, api_key: "k" },
      ],
      models: [
        ...Object.keys(ANSWERS).map((name) => ({
          name,
          routes: [{ provider: name.startsWith("claude") ? "an" : "up", model: name }],
        })),
        { name: "gemini-nocount", routes: [{ provider: "gm", model: "gemini-2.5-flash" }] },
      ],
      prices: {
        "emb-*": { input_per_mtok: 100, output_per_mtok: 0 },
        "chat-nousage": { input_per_mtok: 100, output_per_mtok: 200 },
      },
    }),
  );
  ({ adminKey, finished, url: gatewayUrl } = gateway);
});

afterAll(() => gateway.stop());

describe("a whole answer's usage", () => {
  test("embeddings with only a total: the total is the prompt's, priced", async () => {
    const response = await post("embeddings", { model: "emb-totalonly", input: "x" });
    expect(response.status).toBe(200);
    const row = await rowOf(response);
    expect([row.inputTokens, row.outputTokens]).toEqual([2, 0]);
    expect(row.costUsd).toBeCloseTo((2 * 100) / 1e6, 12);
  });

  test("embeddings without usage: the texts estimated at four characters a token, token ids one each", async () => {
    const texts = await rowOf(
      await post("embeddings", { model: "emb-nousage", input: ["a".repeat(40), "b".repeat(8)] }),
    );
    expect([texts.inputTokens, texts.outputTokens]).toEqual([12, 0]);
    expect(texts.costUsd).toBeCloseTo((12 * 100) / 1e6, 12);
    const ids = await rowOf(
      await post("embeddings", {
        model: "emb-nousage",
        input: [
          [1, 2, 3],
          [4, 5],
        ],
      }),
    );
    expect(ids.inputTokens).toBe(5);
  });

  test("a chat answer without usage: the prompt and the answer's text estimated, priced", async () => {
    const response = await post("chat/completions", {
      model: "chat-nousage",
      messages: [{ role: "user", content: "y".repeat(20) }],
    });
    expect(response.status).toBe(200);
    const row = await rowOf(response);
    // "user" and 20 characters of the prompt; the answer's 40 characters, its labels left out.
    expect([row.inputTokens, row.outputTokens]).toEqual([6, 10]);
    expect(row.costUsd).toBeCloseTo((6 * 100 + 10 * 200) / 1e6, 12);
  });

  test("the estimate binds tokens per minute: a key's next call over its tpm is refused", async () => {
    const created = await fetch(`${gatewayUrl}/admin/api/keys`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ name: "metered", tpm: 50 }),
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const first = await post("embeddings", { model: "emb-nousage", input: "z".repeat(400) }, key);
    expect(first.status).toBe(200);
    expect((await rowOf(first)).inputTokens).toBe(100);
    expect((await post("embeddings", { model: "emb-nousage", input: "z" }, key)).status).toBe(429);
  });
});

describe("a translated whole answer whose upstream reported no usage tells its caller what it is charged", () => {
  // The prompt "user" and 20 characters: 6 tokens (a Responses input of 20: 5); the answer's 40
  // characters: 10. The caller's body says the figures its record does, not 0.
  const prompt = [{ role: "user", content: "y".repeat(20) }];

  /** The call answered 200, its body and its audit row, whose tokens are `tokens` (input, output). */
  async function answered(path: string, request: object, tokens: [number, number]) {
    const response = await post(path, request);
    expect(response.status).toBe(200);
    const body = (await response.json()) as JsonObject;
    const row = await rowOf(response);
    expect([row.inputTokens, row.outputTokens]).toEqual(tokens);
    return { body, row };
  }

  test("a chat caller of an Anthropic upstream: usage says the record's tokens", async () => {
    const { body, row } = await answered(
      "chat/completions",
      { model: "claude-nousage", messages: prompt },
      [6, 10],
    );
    expect(body.usage).toEqual({
      prompt_tokens: row.inputTokens,
      completion_tokens: row.outputTokens,
      total_tokens: row.inputTokens + row.outputTokens,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  test("a chat caller of Gemini, whose counts are none: usage says the record's tokens", async () => {
    const { body, row } = await answered(
      "chat/completions",
      { model: "gemini-nocount", messages: prompt },
      [6, 10],
    );
    expect(body.usage).toEqual({
      prompt_tokens: row.inputTokens,
      completion_tokens: row.outputTokens,
      total_tokens: row.inputTokens + row.outputTokens,
    });
  });

  test("a Messages caller of a chat upstream: usage says the record's tokens", async () => {
    const request = { model: "chat-nousage", max_tokens: 50, messages: prompt };
    const { body, row } = await answered("messages", request, [6, 10]);
    expect(body.usage).toMatchObject({
      input_tokens: row.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: row.outputTokens,
    });
  });

  test("a Responses caller of a chat upstream: usage says the record's tokens, and so does the response stored", async () => {
    const { body, row } = await answered(
      "responses",
      { model: "chat-nousage", input: "y".repeat(20) },
      [5, 10],
    );
    const usage = {
      input_tokens: row.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: row.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: row.inputTokens + row.outputTokens,
    };
    expect(body.usage).toEqual(usage);
    const stored = await fetch(`${gatewayUrl}/v1/responses/${body.id}`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(((await stored.json()) as JsonObject).usage).toEqual(usage);
  });

  test("a chat caller of a chat upstream is sent the upstream's body as it came: no usage written in", async () => {
    const response = await post("chat/completions", { model: "chat-nousage", messages: prompt });
    expect(await response.json()).toEqual(ANSWERS["chat-nousage"]);
    expect((await rowOf(response)).outputTokens).toBe(10);
  });
});
