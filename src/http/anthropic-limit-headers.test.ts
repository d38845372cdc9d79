import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";

// A Messages caller's limits are told under Anthropic's names too (`anthropic-ratelimit-*`, resets
// as RFC 3339 times, as Anthropic's API sends them and Claude Code and the Anthropic SDK read
// them), from the same numbers as the x-ratelimit-* beside them.

const RPM = 3;
const TPM = 100_000;

let dir: string;
let gateway: Gateway;
let adminKey = "";
let url = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mindgw-anthropic-limits-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "mock" }] }],
  });
  ({ gateway, adminKey } = await recordingGateway(config));
  url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const messages = (key: string) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ model: "m", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
  });

/** A reset as Anthropic writes it: an RFC 3339 time, no later than the minute's window ends. */
function expectReset(value: string | null, before: number) {
  expect(value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const at = Date.parse(value ?? "");
  expect(at).toBeGreaterThanOrEqual(before - 1000);
  expect(at).toBeLessThanOrEqual(Date.now() + 61_000);
}

test("a Messages answer says its limits under Anthropic's names beside OpenAI's; its 429 too", async () => {
  const created = await fetch(`${url}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name: "claude-code", rpm: RPM, tpm: TPM }),
  });
  const { key } = (await created.json()) as { key: string };
  const before = Date.now();
  const answer = await messages(key);
  expect(answer.status).toBe(200);
  await answer.json();
  const h = answer.headers;
  expect(h.get("x-ratelimit-remaining-requests")).toBe(String(RPM - 1));
  expect([
    h.get("anthropic-ratelimit-requests-limit"),
    h.get("anthropic-ratelimit-requests-remaining"),
  ]).toEqual([String(RPM), String(RPM - 1)]);
  expectReset(h.get("anthropic-ratelimit-requests-reset"), before);
  // The tokens family as the answer's own headers count it, its tokens included.
  expect(h.get("anthropic-ratelimit-tokens-limit")).toBe(String(TPM));
  expect(h.get("anthropic-ratelimit-tokens-remaining")).toBe(h.get("x-ratelimit-remaining-tokens"));
  expect(Number(h.get("anthropic-ratelimit-tokens-remaining"))).toBeLessThan(TPM);
  expectReset(h.get("anthropic-ratelimit-tokens-reset"), before);

  for (let i = 1; i < RPM; i++) await (await messages(key)).json();
  const refused = await messages(key);
  expect(refused.status).toBe(429);
  await refused.json();
  expect(refused.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
  expectReset(refused.headers.get("anthropic-ratelimit-requests-reset"), before);
});

test("an OpenAI caller's answer has no Anthropic names", async () => {
  const created = await fetch(`${url}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name: "openai-sdk", rpm: RPM }),
  });
  const { key } = (await created.json()) as { key: string };
  const answer = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
  });
  await answer.json();
  expect(answer.headers.get("x-ratelimit-remaining-requests")).toBe(String(RPM - 1));
  expect(answer.headers.get("anthropic-ratelimit-requests-remaining")).toBeNull();
});
