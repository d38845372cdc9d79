import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";

// A whole answer's x-ratelimit-remaining-tokens counts what the request was charged against its
// tpm: the answer's tokens and those of the failed attempts its upstreams billed (a Gemini turn that
// ended in a malformed call), as the counter itself does. An answer of no tokens of its own still
// says the billed attempt's, not what admission read before any of it was counted.

const TPM = 1000;
/** Google's bill for the failed turn: 40 prompt tokens, 10 written. */
const BILLED = { promptTokenCount: 40, candidatesTokenCount: 10, totalTokenCount: 50 };
const MALFORMED = {
  candidates: [{ content: { role: "model" }, finishReason: "MALFORMED_FUNCTION_CALL" }],
  usageMetadata: BILLED,
};

let dir: string;
let gateway: Gateway;
let gemini: ReturnType<typeof Bun.serve>;
let openai: ReturnType<typeof Bun.serve>;
let adminKey = "";
let finished: AuditRecord[] = [];
let url = "";

beforeAll(async () => {
  gemini = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json(MALFORMED) });
  openai = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      // `empty`: an answer of no tokens, as a server that counts none reports it.
      const usage =
        model === "empty"
          ? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }
          : { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
      return Response.json({
        id: "c1",
        object: "chat.completion",
        choices: [{ index: 0, message: { role: "assistant", content: "" }, finish_reason: "stop" }],
        usage,
      });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-failed-tpm-"));
  const gm = { provider: "gm", model: "gemini-2.5-flash" };
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [
      { name: "gm", type: "gemini", base_url: `http://127.0.0.1:${gemini.port}/v1beta`, api_key: "k" },
      { name: "oa", type: "openai", base_url: `http://127.0.0.1:${openai.port}/v1` },
    ],
    models: [
      { name: "to-empty", routes: [gm, { provider: "oa", model: "empty" }] },
      { name: "to-answer", routes: [gm, { provider: "oa", model: "answer" }] },
      { name: "to-none", routes: [gm] },
    ],
    routing: { retries: 0 },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await gateway.stop();
  gemini.stop(true);
  openai.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** A key of its own, with the tpm: its minute starts empty. */
async function tpmKey(name: string): Promise<string> {
  const response = await fetch(`${url}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name, tpm: TPM }),
  });
  return ((await response.json()) as { key: string }).key;
}

const chat = (key: string, model: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });

describe("x-ratelimit-remaining-tokens counts a billed failed attempt's tokens", () => {
  test("an answer of its own tokens after a billed failed attempt: the header says both charged", async () => {
    const key = await tpmKey("tpm-answer");
    const response = await chat(key, "to-answer");
    expect(response.status).toBe(200);
    await response.json();
    const row = await recordOf(finished, response);
    expect(row.attempts?.[0]?.billed).toMatchObject({ inputTokens: 40, outputTokens: 10 });
    expect(response.headers.get("x-ratelimit-limit-tokens")).toBe(String(TPM));
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe(String(TPM - 50 - 5));
  });

  test("an answer of no tokens after a billed failed attempt: the header says the attempt's, not what admission read", async () => {
    const key = await tpmKey("tpm-empty");
    // A Responses call of no input items, answered with nothing and usage 0/0: its estimate is 0
    // too (no text either way), so only the failed turn Google billed is charged.
    const response = await fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: "to-empty", input: [] }),
    });
    expect(response.status).toBe(200);
    await response.json();
    const row = await recordOf(finished, response);
    expect([row.inputTokens, row.outputTokens]).toEqual([0, 0]);
    expect(row.attempts?.[0]?.billed).toMatchObject({ inputTokens: 40, outputTokens: 10 });
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe(String(TPM - 50));
    // What the next request is admitted with agrees (its own turn billed 50 more, its answer 2).
    const next = await chat(key, "to-empty");
    await next.json();
    expect(next.headers.get("x-ratelimit-remaining-tokens")).toBe(String(TPM - 50 - 50 - 2));
  });

  test("every route failed after a billed attempt: the error's header says the attempt's, as an answer's would", async () => {
    const key = await tpmKey("tpm-none");
    const response = await chat(key, "to-none");
    expect(response.status).toBeGreaterThanOrEqual(500);
    await response.json();
    const row = await recordOf(finished, response);
    expect(row.attempts?.[0]?.billed).toMatchObject({ inputTokens: 40, outputTokens: 10 });
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe(String(TPM - 50));
    // What the next request is admitted with agrees.
    const next = await chat(key, "to-none");
    await next.json();
    expect(next.headers.get("x-ratelimit-remaining-tokens")).toBe(String(TPM - 50 - 50));
  });
});
