import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";

// Gemini turns that end in failure were billed by Google: through the real pipeline, their tokens
// reach the audit row and the spend, beside the answer of the route that then served (or alone).
// A fake Gemini speaks Google's wire format (generateContent, streamGenerateContent?alt=sse); a
// fake OpenAI server is the second route.

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
/** The OpenAI route's answer: 3 prompt tokens, 2 written. */
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

let dir: string;
let gateway: Gateway;
let gemini: ReturnType<typeof Bun.serve>;
let openai: ReturnType<typeof Bun.serve>;
let adminKey = "";
let finished: AuditRecord[] = [];
let gatewayUrl = "";

const chat = (model: string, stream = false) =>
  fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
  });

const rowOf = (response: Response) => {
  const id = response.headers.get("x-request-id") ?? "";
  return waitForValue(`the audit row of ${id}`, () => finished.find((r) => r.requestId === id));
};

beforeAll(async () => {
  gemini = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      const { pathname } = new URL(request.url);
      const answer = pathname.includes("/models/blocked:") ? BLOCKED : MALFORMED;
      if (!pathname.endsWith(":streamGenerateContent")) return Response.json(answer);
      return new Response(`data: ${JSON.stringify(answer)}\r\n\r\n`, {
        headers: { "content-type": "text/event-stream" },
      });
    },
  });
  openai = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { stream } = (await request.json()) as { stream?: boolean };
      const message = { role: "assistant", content: "hi" };
      if (!stream)
        return Response.json({
          id: "c1",
          object: "chat.completion",
          choices: [{ index: 0, message, finish_reason: "stop" }],
          usage: USAGE,
        });
      const chunk = (body: object) =>
        `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", ...body })}\n\n`;
      return new Response(
        chunk({ choices: [{ index: 0, delta: message, finish_reason: "stop" }] }) +
          chunk({ choices: [], usage: USAGE }) +
          "data: [DONE]\n\n",
        { headers: { "content-type": "text/event-stream" } },
      );
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-failed-usage-"));
  const gm = { provider: "gm", model: "malformed" };
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [
      { name: "gm", type: "gemini", base_url: `http://127.0.0.1:${gemini.port}/v1beta`, api_key: "k" },
      { name: "oa", type: "openai", base_url: `http://127.0.0.1:${openai.port}/v1` },
    ],
    models: [
      { name: "fails-over", routes: [gm, { provider: "oa", model: "gpt" }] },
      { name: "fails", routes: [gm] },
      {
        name: "blocked",
        fallback_on: ["content_policy"],
        routes: [
          { provider: "gm", model: "blocked" },
          { provider: "oa", model: "gpt" },
        ],
      },
    ],
    // A dollar a token, in and out: the spend is the tokens counted.
    prices: { "*": { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
    routing: { retries: 0 },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  const address = gateway.listen("127.0.0.1", 0);
  gatewayUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await gateway.stop();
  gemini.stop(true);
  openai.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("what Google billed for a Gemini turn that failed is metered", () => {
  test.each([false, true])(
    "a failed finish, failed over (stream: %p): its tokens with the answer's in the row and the spend",
    async (stream) => {
      const response = await chat("fails-over", stream);
      expect(response.status).toBe(200);
      await response.text();
      const row = await rowOf(response);
      // 40 + 3 in; (3 + 7 thinking) + 2 out.
      expect([row.inputTokens, row.outputTokens, row.costUsd]).toEqual([43, 12, 55]);
    },
  );

  test("a failed finish on the only route: the caller's 502, its tokens still recorded and charged", async () => {
    const response = await chat("fails");
    expect(response.status).toBe(502);
    const row = await rowOf(response);
    expect([row.status, row.inputTokens, row.outputTokens, row.costUsd]).toEqual([502, 40, 10, 50]);
  });

  test.each([false, true])(
    "a blocked prompt failed over under content_policy (stream: %p): its prompt tokens too",
    async (stream) => {
      const response = await chat("blocked", stream);
      expect(response.status).toBe(200);
      await response.text();
      const row = await rowOf(response);
      expect([row.route, row.inputTokens, row.outputTokens, row.costUsd]).toEqual(["provider:oa", 43, 2, 45]);
    },
  );
});
