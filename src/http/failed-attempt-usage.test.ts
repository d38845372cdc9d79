import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Usage } from "../core/usage.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { catalogueCost } from "../pricing/catalogue.ts";
import { openAiUsageAnswer } from "../testing/openai-usage-answer.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";

// Gemini turns that end in failure were billed by Google: through the real pipeline, they are
// charged at Gemini's price (the catalogue's, per route) beside the answer of the route that then
// served at its own (or alone), and recorded on their attempt's audit entry. A fake Gemini speaks
// Google's wire format (generateContent, streamGenerateContent?alt=sse); a fake OpenAI server is
// the second route.

/** Google's usage for the failed turns: 40 prompt tokens, 3 written and 7 thought. */
const BILLED = { promptTokenCount: 40, candidatesTokenCount: 3, thoughtsTokenCount: 7, totalTokenCount: 50 };
const MALFORMED = {
  candidates: [{ content: { role: "model" }, finishReason: "MALFORMED_FUNCTION_CALL" }],
  usageMetadata: BILLED,
};
const BLOCKED = {
  promptFeedback: { blockReason: "PROHIBITED_CONTENT" },
  usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 },
};
/** A streamed event of text, with the usage Google states so far (the prompt's, in every event). */
const TEXT = (text: string) => ({
  candidates: [{ content: { role: "model", parts: [{ text }] } }],
  usageMetadata: { promptTokenCount: 40, totalTokenCount: 40 },
});
const sse = (...events: object[]) => events.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`).join("");
/** Streams by model: text then the failed finish; text then nothing more, until the client leaves. */
const STREAMS: Record<string, () => BodyInit> = {
  "gemini-2.5-flash-lite": () => sse(TEXT("Let me "), MALFORMED),
  "gemini-2.0-flash": () =>
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(sse(TEXT("Hello"), TEXT(" there"))));
      },
    }),
};
/** The OpenAI route's answer: 3 prompt tokens, 2 written. */
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

let dir: string;
let gateway: Gateway;
let gemini: ReturnType<typeof Bun.serve>;
let openai: ReturnType<typeof Bun.serve>;
/** An OpenAI server that holds every call until the tests are over, as a slow model does. */
let slow: ReturnType<typeof Bun.serve>;
const held: (() => void)[] = [];
let adminKey = "";
let finished: AuditRecord[] = [];
let gatewayUrl = "";

const chat = (model: string, stream = false, init: { key?: string; signal?: AbortSignal } = {}) =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${init.key ?? adminKey}` },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
    signal: init.signal ?? null,
  });

/** A key of its own (its spend starts at 0, whatever other tests' spend still lands). */
async function newKey(name: string): Promise<{ key: string; id: string }> {
  const response = await fetch(`${gatewayUrl}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name }),
  });
  return (await response.json()) as { key: string; id: string };
}

const rowOf = (response: Response) => recordOf(finished, response);

beforeAll(async () => {
  gemini = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const { pathname } = new URL(request.url);
      const answer = pathname.includes("/models/gemini-2.5-pro:") ? BLOCKED : MALFORMED;
      if (!pathname.endsWith(":streamGenerateContent")) return Response.json(answer);
      const model = /\/models\/([^:]+):/.exec(pathname)?.[1] ?? "";
      return new Response(STREAMS[model]?.() ?? sse(answer), {
        headers: { "content-type": "text/event-stream" },
      });
    },
  });
  openai = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => openAiUsageAnswer(request, USAGE),
  });
  slow = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch() {
      await new Promise<void>((resolve) => held.push(resolve));
      return Response.json({ error: { message: "the tests are over" } }, { status: 500 });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-failed-usage-"));
  const gm = { provider: "gm", model: "gemini-2.5-flash" };
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [
      { name: "gm", type: "gemini", base_url: `http://127.0.0.1:${gemini.port}/v1beta`, api_key: "k" },
      { name: "oa", type: "openai", base_url: `http://127.0.0.1:${openai.port}/v1` },
      { name: "slow", type: "openai", base_url: `http://127.0.0.1:${slow.port}/v1` },
    ],
    models: [
      { name: "fails-over", routes: [gm, { provider: "oa", model: "gpt-4o-mini" }] },
      { name: "fails", routes: [gm] },
      { name: "fails-then-slow", routes: [gm, { provider: "slow", model: "gpt-4o-mini" }] },
      { name: "fails-midway", routes: [{ provider: "gm", model: "gemini-2.5-flash-lite" }] },
      { name: "left", routes: [{ provider: "gm", model: "gemini-2.0-flash" }] },
      {
        name: "blocked",
        fallback_on: ["content_policy"],
        routes: [
          { provider: "gm", model: "gemini-2.5-pro" },
          { provider: "oa", model: "gpt-4o-mini" },
        ],
      },
    ],
    // No `prices:`: each route is priced by the catalogue, Google's and OpenAI's prices apart.
    routing: { retries: 0 },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  const address = gateway.listen("127.0.0.1", 0);
  gatewayUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const release of held) release();
  await gateway.stop();
  slow.stop(true);
  gemini.stop(true);
  openai.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** The catalogue's price of `usage` on a vendor's model, as the gateway reads it today. */
const priced = (model: string, vendor: string, usage: Usage) =>
  catalogueCost(model, vendor, usage, Date.now()) ?? NaN;
/** Google's bill for a failed finish (40 in; 3 written and 7 thought) and a blocked prompt (40 in). */
const FAILED_FINISH = { inputTokens: 40, outputTokens: 10, reasoningTokens: 7 };
const geminiFinish = priced("gemini-2.5-flash", "google", FAILED_FINISH);
const geminiBlocked = priced("gemini-2.5-pro", "google", { inputTokens: 40, outputTokens: 0 });
const openaiAnswer = priced("gpt-4o-mini", "openai", { inputTokens: 3, outputTokens: 2 });

/** The caller's spend so far (`/admin/api/spend` of its key). */
async function spentBy(keyId: string): Promise<number> {
  const response = await fetch(`${gatewayUrl}/admin/api/spend?ids=${keyId}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const { spentUsd } = (await response.json()) as { spentUsd: Record<string, number> };
  return spentUsd[keyId] ?? 0;
}

/** The spend once it has moved by `cost` from `before` (spend may be written after the row). */
const spendReaches = (keyId: string, before: number, cost: number) =>
  waitForValue(`spend ${before} + ${cost}`, async () => {
    const now = await spentBy(keyId);
    return Math.abs(now - before - cost) < 1e-12 ? now : undefined;
  });

describe("what Google billed for a Gemini turn that failed is charged at Gemini's price", () => {
  test("the prices differ: a route priced as another would show", () => {
    expect(geminiFinish).toBeGreaterThan(0);
    expect(openaiAnswer).toBeGreaterThan(0);
    expect(geminiFinish).not.toBeCloseTo(priced("gpt-4o-mini", "openai", FAILED_FINISH), 10);
  });

  test.each([false, true])(
    "a failed finish, failed over (stream: %p): Gemini's tokens at Gemini's price, the answer's at OpenAI's",
    async (stream) => {
      const before = await spentBy(await adminKeyId());
      const response = await chat("fails-over", stream);
      expect(response.status).toBe(200);
      await response.text();
      const row = await rowOf(response);
      // The row's tokens are the answer's; its cost all that was billed.
      expect([row.route, row.inputTokens, row.outputTokens]).toEqual(["provider:oa", 3, 2]);
      expect(row.costUsd).toBeCloseTo(geminiFinish + openaiAnswer, 12);
      expect(row.attempts?.map((a) => [a.route, a.outcome, a.billed])).toEqual([
        ["provider:gm", "failed", { inputTokens: 40, outputTokens: 10, costUsd: geminiFinish }],
        ["provider:oa", "ok", undefined],
      ]);
      await spendReaches(row.keyId ?? "", before, row.costUsd);
    },
  );

  test("a failed finish on the only route: the caller's 502, its cost charged at Gemini's price", async () => {
    const before = await spentBy(await adminKeyId());
    const response = await chat("fails");
    expect(response.status).toBe(502);
    const row = await rowOf(response);
    expect([row.status, row.inputTokens, row.outputTokens, row.costUsd]).toEqual([502, 0, 0, geminiFinish]);
    expect(row.attempts?.[0]?.billed).toEqual({ inputTokens: 40, outputTokens: 10, costUsd: geminiFinish });
    await spendReaches(row.keyId ?? "", before, geminiFinish);
  });

  test("a failed finish, then a client that leaves while the next route reads the prompt: both charged, each at its price", async () => {
    const leave = new AbortController();
    const before = held.length;
    const call = chat("fails-then-slow", false, { signal: leave.signal });
    await waitFor("the next route to have the call", () => held.length > before);
    leave.abort();
    await call.catch(() => {});
    const row = await waitForValue("its record", () =>
      finished.find((r) => r.model === "fails-then-slow" && r.status === 499),
    );
    // "user" and "hi": 2 tokens, estimated as the prompt the second route read (no answer came).
    const estimate = priced("gpt-4o-mini", "openai", { inputTokens: 2, outputTokens: 0 });
    expect(estimate).toBeGreaterThan(0);
    expect([row.inputTokens, row.outputTokens]).toEqual([2, 0]);
    expect(row.costUsd).toBeCloseTo(geminiFinish + estimate, 12);
    expect(row.attempts?.map((a) => [a.route, a.errorClass, a.billed])).toEqual([
      ["provider:gm", "upstream_error", { inputTokens: 40, outputTokens: 10, costUsd: geminiFinish }],
      ["provider:slow", "client_closed", undefined],
    ]);
  });

  test.each([false, true])(
    "a blocked prompt failed over under content_policy (stream: %p): its prompt tokens at Gemini's price",
    async (stream) => {
      const response = await chat("blocked", stream);
      expect(response.status).toBe(200);
      await response.text();
      const row = await rowOf(response);
      expect([row.route, row.inputTokens, row.outputTokens]).toEqual(["provider:oa", 3, 2]);
      expect(row.costUsd).toBeCloseTo(geminiBlocked + openaiAnswer, 12);
      expect(row.attempts?.[0]?.billed).toEqual({ inputTokens: 40, outputTokens: 0, costUsd: geminiBlocked });
    },
  );
});

describe("a Gemini stream is charged the usage Google stated, however it ends", () => {
  test("a turn that fails after its text: the caller's error event, Google's whole count charged as the answer's", async () => {
    const { key, id } = await newKey("fails-midway");
    const response = await chat("fails-midway", true, { key });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain("Let me ");
    expect(body).toContain("malformed function call");
    const row = await rowOf(response);
    const cost = priced("gemini-2.5-flash-lite", "google", FAILED_FINISH);
    expect(cost).toBeGreaterThan(0);
    expect([row.status, row.inputTokens, row.outputTokens]).toEqual([502, 40, 10]);
    expect(row.costUsd).toBeCloseTo(cost, 12);
    // Charged once, as the answer's: the attempt's entry bills nothing of its own.
    expect(row.attempts?.map((a) => [a.route, a.outcome, a.billed])).toEqual([
      ["provider:gm", "failed", undefined],
    ]);
    await spendReaches(id, 0, cost);
  });

  test("a client that leaves mid-stream: the prompt's tokens Google stated, not an estimate", async () => {
    const leave = new AbortController();
    const response = await chat("left", true, { signal: leave.signal });
    const reader = response.body?.getReader();
    let seen = "";
    while (!seen.includes(" there")) {
      const read = await reader?.read();
      if (!read || read.done) throw new Error(`the stream ended early: ${seen}`);
      seen += new TextDecoder().decode(read.value);
    }
    leave.abort();
    const row = await rowOf(response);
    expect(row.inputTokens).toBe(40);
    expect(row.costUsd).toBeCloseTo(
      priced("gemini-2.0-flash", "google", { inputTokens: 40, outputTokens: row.outputTokens }),
      12,
    );
  });
});

/** The admin key's id, from the row of a request it made. */
let keyId: string | undefined;
async function adminKeyId(): Promise<string> {
  if (keyId) return keyId;
  const response = await fetch(`${gatewayUrl}/v1/models`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  await response.text();
  keyId = (await rowOf(response)).keyId ?? "";
  return keyId;
}
