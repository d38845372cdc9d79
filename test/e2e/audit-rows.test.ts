import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import { allAuditRows, chatBody, createKey } from "./harness/audit-kit.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

// One audit row per request that reaches the gateway, authorised or not, with the right fields.
let gw: GatewayProcess;
let alice: { key: string; id: string };
let gpu: { key: string; id: string };
const BOGUS = "mgw_thisIsNotARealKeyButLooksLikeOne0123456789";
const UA = "audit-e2e/1.0";
const PRICE = { input_per_mtok: 2, output_per_mtok: 4 };
const rows = new Map<string, AuditRecord>();
/** The error message each failing client read in its answer, by request id. */
const told = new Map<string, string>();

const post = (path: string, body: unknown, key: string | null, requestId: string) =>
  fetch(`${gw.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": UA,
      "x-request-id": requestId,
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** Its text, in two chunks: 29 characters, which no stream's estimate reads. */
const UNCOUNTED_TEXT = ["Hello", " world, and welcome back!"];
/**
 * A chat server that ignores `stream_options` (an older vLLM, a proxy): its stream's two chunks of
 * text and its finish (3 data events, a token each), `[DONE]`, and no usage at all.
 */
const uncountedUpstream = () =>
  Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "up", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const body =
        chunk({ role: "assistant", content: UNCOUNTED_TEXT[0] }, null) +
        chunk({ content: UNCOUNTED_TEXT[1] }, null) +
        chunk({}, "stop") +
        "data: [DONE]\n\n";
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });

const fx = gatewayFixture({
  fakeRoutes: false,
  config: (_fakeUrl, { fake, own }) => ({
    server: { max_body: "4KB" },
    providers: [
      { name: "fake", type: "openai", base_url: `${fake.url}/v1` },
      { name: "uncounted", type: "openai", base_url: `${own(uncountedUpstream()).url}v1` },
      // Nothing listens there: every call is refused, and the gateway answers 502.
      { name: "dead", type: "openai", base_url: `http://127.0.0.1:${freePort()}/v1` },
    ],
    models: [
      { name: "m1", routes: [{ provider: "fake", model: "up-m1" }] },
      { name: "m2", routes: [{ provider: "fake", model: "m2" }] },
      { name: "broken", routes: [{ provider: "dead", model: "x" }] },
      { name: "uncounted", routes: [{ provider: "uncounted", model: "up" }] },
    ],
    routing: { retries: 0 },
    prices: { m1: PRICE },
  }),
});

beforeAll(async () => {
  gw = fx.gw;
  alice = await createKey(gw, { name: "alice", tenant: "acme", role: "user", models: ["m1"] });
  // A worker key may not call the model APIs: the 403 row.
  gpu = await createKey(gw, { name: "gpu", role: "worker", models: ["*"] });
  const client = new OpenAI({
    apiKey: alice.key,
    baseURL: `${gw.url}/v1`,
    maxRetries: 0,
    defaultHeaders: { "user-agent": UA },
  });
  await client.chat.completions.create(chatBody("m1") as never, { headers: { "x-request-id": "t-ok" } });
  const stream = await client.chat.completions.create(
    chatBody("m1", { stream: true, stream_options: { include_usage: true } }) as never,
    { headers: { "x-request-id": "t-stream" } },
  );
  for await (const _ of stream as unknown as AsyncIterable<unknown>) {
    // drain the stream to its end
  }
  // An upstream's 500 with its own words: relayed as sent to a chat caller, said in the gateway's
  // words to a messages caller (another dialect). One at a time: each takes the queued failure.
  fx.fake.enqueue({ status: 500, message: "upstream exploded" });
  const relayed = await post("/v1/chat/completions", chatBody("m2"), gw.adminKey, "t-500-relayed");
  expect(relayed.status).toBe(500);
  told.set("t-500-relayed", ((await relayed.json()) as { error: { message: string } }).error.message);
  fx.fake.enqueue({ status: 500, message: "upstream exploded" });
  const translated = await post(
    "/v1/messages",
    chatBody("m2", { max_tokens: 16 }),
    gw.adminKey,
    "t-500-msgs",
  );
  expect(translated.status).toBe(502);
  told.set("t-500-msgs", ((await translated.json()) as { error: { message: string } }).error.message);
  const answers = await Promise.all([
    post("/v1/chat/completions", chatBody("m1"), BOGUS, "t-401"),
    post("/v1/chat/completions", chatBody("m2"), gpu.key, "t-403"),
    post("/v1/chat/completions", chatBody("nope"), gw.adminKey, "t-404-model"),
    post("/v1/nothing-here", chatBody("m1"), alice.key, "t-404-route"),
    post("/v1/chat/completions", chatBody("m1", { pad: "x".repeat(8192) }), alice.key, "t-413"),
    post("/v1/chat/completions", chatBody("broken"), gw.adminKey, "t-502"),
  ]);
  expect(answers.map((a) => a.status)).toEqual([401, 403, 404, 404, 413, 502]);
  const ids = [
    "t-ok",
    "t-stream",
    "t-401",
    "t-403",
    "t-404-model",
    "t-404-route",
    "t-413",
    "t-502",
    "t-500-relayed",
    "t-500-msgs",
  ];
  await waitFor("every audit row", async () => {
    const all = await allAuditRows(gw);
    for (const row of all) if (ids.includes(row.requestId)) rows.set(row.requestId, row);
    return ids.every((id) => rows.has(id));
  });
}, 30_000);

test("a stream whose upstream reported no usage is billed the same through every front door: a token for each of its upstream's events", async () => {
  const doors = [
    ["/v1/chat/completions", "u-chat", { messages: [{ role: "user", content: "hi" }] }],
    ["/v1/messages", "u-messages", { max_tokens: 50, messages: [{ role: "user", content: "hi" }] }],
    ["/v1/responses", "u-responses", { input: "hi" }],
  ] as const;
  for (const [path, requestId, body] of doors) {
    const answer = await post(path, { model: "uncounted", stream: true, ...body }, gw.adminKey, requestId);
    expect([path, answer.status]).toEqual([path, 200]);
    await answer.text();
  }
  const billed = await waitFor("the three rows", async () => {
    const all = await allAuditRows(gw);
    const found = doors.map(([, id]) => all.find((row) => row.requestId === id));
    return found.every((row) => row !== undefined) ? found : undefined;
  });
  // Not the caller's events (2, 8 and 10 once, framing included), nor its text at four characters a
  // token (8, counted off every write handed to the client): the upstream's three chunks.
  expect(billed.map((row) => [row?.frontDoor, row?.outputTokens])).toEqual([
    ["chat", 3],
    ["messages", 3],
    ["responses", 3],
  ]);
});

test("a stream whose upstream reported no usage tells each front door's SDK the tokens its row is billed", async () => {
  const prompt = "Tell me about the weather in a few words, please.";
  const headers = (requestId: string) => ({ headers: { "x-request-id": requestId } });
  const openai = new OpenAI({ apiKey: gw.adminKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const anthropic = new Anthropic({ apiKey: gw.adminKey, baseURL: gw.url, maxRetries: 0 });
  const chat = await openai.chat.completions.create(
    {
      model: "uncounted",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: prompt }],
    },
    headers("told-chat"),
  );
  let chatUsage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of chat) chatUsage = chunk.usage ?? chatUsage;
  const message = await anthropic.messages
    .stream(
      { model: "uncounted", max_tokens: 50, messages: [{ role: "user", content: prompt }] },
      headers("told-messages"),
    )
    .finalMessage();
  const responses = await openai.responses.create(
    { model: "uncounted", stream: true, input: prompt },
    headers("told-responses"),
  );
  let completed: OpenAI.Responses.Response | undefined;
  for await (const event of responses) if (event.type === "response.completed") completed = event.response;
  const billed = await waitFor("the three rows", async () => {
    const all = await allAuditRows(gw);
    const found = ["told-chat", "told-messages", "told-responses"].map((id) =>
      all.find((row) => row.requestId === id),
    );
    return found.every((row) => row !== undefined) ? found : undefined;
  });
  const [chatRow, messagesRow, responsesRow] = billed.map((row) => [row?.inputTokens, row?.outputTokens]);
  expect([chatUsage?.prompt_tokens, chatUsage?.completion_tokens]).toEqual(chatRow as number[]);
  expect([message.usage.input_tokens, message.usage.output_tokens]).toEqual(messagesRow as number[]);
  expect([completed?.usage?.input_tokens, completed?.usage?.output_tokens]).toEqual(responsesRow as number[]);
  // The estimate, not 0s: the prompt by its length, the upstream's three chunks a token each.
  for (const row of [chatRow, messagesRow, responsesRow]) expect(row?.[1]).toBe(3);
  expect(chatRow?.[0]).toBeGreaterThan(0);
});

describe("one audit row per request", () => {
  test("each request id has exactly one row", async () => {
    const all = await allAuditRows(gw);
    for (const id of rows.keys()) expect(all.filter((r) => r.requestId === id)).toHaveLength(1);
  });

  test("non-stream success: key, model, route, upstream model, usage and cost from config prices", () => {
    const row = rows.get("t-ok")!;
    expect(row).toMatchObject({
      keyId: alice.id,
      keyName: "alice",
      tenant: "acme",
      role: "user",
      frontDoor: "chat",
      model: "m1",
      route: "provider:fake",
      upstreamModel: "up-m1",
      status: 200,
      errorClass: null,
      stream: false,
      clientIp: "127.0.0.1",
      userAgent: UA,
    });
    expect(row.inputTokens).toBeGreaterThan(0);
    expect(row.outputTokens).toBeGreaterThan(0);
    const cost = (row.inputTokens * PRICE.input_per_mtok + row.outputTokens * PRICE.output_per_mtok) / 1e6;
    expect(row.costUsd).toBeCloseTo(cost, 12);
    expect(row.ttfbMs).not.toBeNull();
    expect(row.latencyMs).toBeGreaterThanOrEqual(row.ttfbMs!);
  });

  test("stream success: stream flag, time to first byte, usage counted from the stream", () => {
    const row = rows.get("t-stream")!;
    expect(row).toMatchObject({ keyName: "alice", model: "m1", route: "provider:fake", status: 200 });
    expect(row.stream).toBe(true);
    expect(row.ttfbMs).toBeGreaterThan(0);
    expect(row.latencyMs).toBeGreaterThanOrEqual(row.ttfbMs!);
    expect(row.inputTokens).toBeGreaterThan(0);
    expect(row.outputTokens).toBeGreaterThan(0);
    expect(row.costUsd).toBeGreaterThan(0);
  });

  test("401: no key identity, the uniform error class, nothing sent", () => {
    expect(rows.get("t-401")).toMatchObject({
      keyId: null,
      keyName: null,
      status: 401,
      errorClass: "unauthorized",
      ttfbMs: null,
      costUsd: 0,
      userAgent: UA,
      clientIp: "127.0.0.1",
    });
  });

  test("403, 404, 413 and 502 each carry what was known when they ended", () => {
    expect(rows.get("t-403")).toMatchObject({
      keyName: "gpu",
      model: "m2",
      status: 403,
      errorClass: "forbidden",
    });
    expect(rows.get("t-404-model")).toMatchObject({ keyName: "bootstrap-admin", model: "nope", status: 404 });
    expect(rows.get("t-404-model")!.errorClass).toBeTruthy();
    expect(rows.get("t-404-route")).toMatchObject({
      frontDoor: "other",
      status: 404,
      errorClass: "not_found",
    });
    expect(rows.get("t-413")).toMatchObject({ keyName: "alice", status: 413, model: null });
    expect(rows.get("t-413")!.errorClass).toBeTruthy();
    expect(rows.get("t-502")).toMatchObject({
      model: "broken",
      route: "provider:dead",
      status: 502,
      errorClass: "upstream_error",
      inputTokens: 0,
      costUsd: 0,
    });
    for (const id of ["t-403", "t-404-model", "t-404-route", "t-413", "t-502"]) {
      expect(rows.get(id)!.latencyMs).toBeGreaterThanOrEqual(0);
    }
  });

  test("a failed request's error is the message the client got; which upstream answered what stays in its attempts", () => {
    expect(told.get("t-500-relayed")).toBe("upstream exploded");
    expect(rows.get("t-500-relayed")).toMatchObject({
      status: 500,
      errorClass: "upstream_error",
      errorMessage: "upstream exploded",
    });
    expect(rows.get("t-500-relayed")!.attempts).toEqual([
      expect.objectContaining({
        route: "provider:fake",
        outcome: "failed",
        status: 500,
        errorClass: "upstream_error",
      }),
    ]);
    // A caller of another dialect got the gateway's words: its row says those.
    expect(told.get("t-500-msgs")).toStartWith("upstream fake");
    expect(rows.get("t-500-msgs")).toMatchObject({ status: 502, errorMessage: told.get("t-500-msgs") });
  });

  test("no raw key in any row, the database files or the log", async () => {
    const secrets = [alice.key, gpu.key, BOGUS, gw.adminKey!];
    const text = JSON.stringify(await allAuditRows(gw));
    for (const secret of secrets) expect(text).not.toContain(secret);
    await gw.stop();
    for (const file of ["mindgw.db", "mindgw.db-wal"].map((f) => `${gw.dir}/${f}`)) {
      let bytes = "";
      try {
        bytes = readFileSync(file).toString("latin1");
      } catch {
        continue; // the -wal is removed on a clean close
      }
      for (const secret of secrets) expect(bytes).not.toContain(secret);
    }
    for (const secret of [alice.key, BOGUS]) expect(gw.stdout.all).not.toContain(secret);
    for (const secret of secrets) expect(gw.stderr.all).not.toContain(secret);
  });
});
