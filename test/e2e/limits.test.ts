import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import type { FakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { bearer, chatBody, fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// Real processes on a shared 2-core machine: generous bounds, every wait bounded on its own.
setDefaultTimeout(30_000);

// Per-key limits with exact counts: requests/min, tokens/min (from actual usage, streams
// included) and a spend budget from the config's price table, on every model route.

// $0.1 per token in and out, so a request's cost is a round number of dimes.
const PRICE = 100_000;

let fake: FakeUpstream;
let gw: GatewayProcess;
let admin: string;
const dir = tempDir();
const config = () =>
  fakeRoutesConfig(fake.url, ["m1"], { prices: { m1: { input_per_mtok: PRICE, output_per_mtok: PRICE } } });
/** The budget key, kept to check that spend survives a restart. */
let spentKey = "";

async function createKey(name: string, input: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${gw.url}/admin/api/keys`, {
    method: "POST",
    headers: bearer(admin),
    body: JSON.stringify({ name, ...input }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

const chat = (key: string, extra: object = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(key),
    body: chatBody("m1", "hello there", extra),
  });

const messages = (key: string, extra: object = {}) =>
  fetch(`${gw.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model: "m1",
      max_tokens: 32,
      messages: [{ role: "user", content: "hello there" }],
      ...extra,
    }),
  });

const embeddings = (key: string) =>
  fetch(`${gw.url}/v1/embeddings`, {
    method: "POST",
    headers: bearer(key),
    body: JSON.stringify({ model: "m1", input: "hello there" }),
  });

/** Tokens one plain "hello there" chat costs, measured with the unlimited admin key. */
async function tokensPerChat(): Promise<number> {
  const res = await chat(admin);
  const body = (await res.json()) as { usage: { total_tokens: number } };
  return body.usage.total_tokens;
}

/** A reset header's time in seconds (`1m0s`, `58.5s`, `120ms`: auth/reset-format.ts). */
function resetSeconds(reset: string): number {
  const parts = /^(?:(\d+)m)?(?:([\d.]+)s)?(?:(\d+)ms)?$/.exec(reset);
  if (!parts) throw new Error(`not a reset: ${reset}`);
  return Number(parts[1] ?? 0) * 60 + Number(parts[2] ?? 0) + Number(parts[3] ?? 0) / 1000;
}

function expect429(res: Response, kind: "requests" | "tokens"): void {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
  expect(res.headers.get(`x-ratelimit-limit-${kind}`)).toBeTruthy();
  expect(res.headers.get(`x-ratelimit-remaining-${kind}`)).toBe("0");
  expect(res.headers.get(`x-ratelimit-reset-${kind}`)).toMatch(/^\d+(\.\d+)?(ms|s|m)/);
  expect(res.headers.get("x-request-id")).toBeTruthy();
}

const fx = gatewayFixture({
  dir: dir.path,
  fakeRoutes: false,
  config: (_fakeUrl, ctx) => {
    fake = ctx.fake;
    return config();
  },
});

beforeAll(async () => {
  ({ fake, gw } = fx);
  admin = gw.adminKey ?? "";
}, 30_000);

describe("requests per minute", () => {
  test("--rpm 3: requests 1..3 succeed with counting-down headers, the 4th is 429", async () => {
    const key = await createKey("rpm3", { rpm: 3 });
    for (const remaining of ["2", "1", "0"]) {
      const res = await chat(key);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit-requests")).toBe("3");
      expect(res.headers.get("x-ratelimit-remaining-requests")).toBe(remaining);
      expect(res.headers.get("x-ratelimit-reset-requests")).toBeTruthy();
      await res.arrayBuffer();
    }
    const refused = await chat(key);
    expect429(refused, "requests");
    expect(refused.headers.get("x-ratelimit-limit-requests")).toBe("3");
    expect((await refused.json()) as object).toEqual({
      error: { message: expect.any(String), type: "rate_limit_error", param: null, code: "rate_limited" },
    });
    // Refused requests are not counted and never reach the upstream.
    expect((await chat(key)).status).toBe(429);
    expect(fake.requests.filter((r) => r.path === "/v1/chat/completions").length).toBeGreaterThanOrEqual(3);
  });

  test("a model nobody serves is a 404 that takes no slot of the key's rpm", async () => {
    const key = await createKey("rpm2-typo", { rpm: 2 });
    for (let i = 0; i < 3; i++) {
      const typo = await chat(key, { model: "m1-typo" });
      expect(typo.status).toBe(404);
      expect(((await typo.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
    }
    for (let i = 0; i < 2; i++) expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(429);
  });

  test("the official SDK sees a RateLimitError", async () => {
    const key = await createKey("rpm1-sdk", { rpm: 1 });
    const openai = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await openai.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] });
    const failure = await openaiFailure(
      openai.chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] }),
    );
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
  });

  test("applies on /v1/messages, in Anthropic's shape", async () => {
    const key = await createKey("rpm2-messages", { rpm: 2 });
    for (const remaining of ["1", "0"]) {
      const res = await messages(key);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-remaining-requests")).toBe(remaining);
      await res.arrayBuffer();
    }
    const refused = await messages(key);
    expect429(refused, "requests");
    expect((await refused.json()) as object).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: expect.any(String) },
      request_id: expect.stringMatching(/^req_/),
    });
  });

  test("applies on /v1/embeddings and /v1/responses, and the count is shared across routes", async () => {
    const key = await createKey("rpm4-mixed", { rpm: 4 });
    const first = await embeddings(key);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("3");
    await first.arrayBuffer();
    expect((await messages(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(200);
    const response = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: bearer(key),
      body: JSON.stringify({ model: "m1", input: "hello there" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    await response.arrayBuffer();
    const refused = await embeddings(key);
    expect429(refused, "requests");
    await refused.arrayBuffer();
    const alsoRefused = await fetch(`${gw.url}/v1/responses`, {
      method: "POST",
      headers: bearer(key),
      body: JSON.stringify({ model: "m1", input: "hello there" }),
    });
    expect429(alsoRefused, "requests");
    await alsoRefused.arrayBuffer();
  });

  test("count_tokens takes no slot of the key's rpm and claims none in its headers, and still answers once rpm is spent", async () => {
    const key = await createKey("rpm1-count", { rpm: 1 });
    const count = () =>
      fetch(`${gw.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json", "anthropic-version": "2023-06-01" },
        body: JSON.stringify({ model: "m1", messages: [{ role: "user", content: "hello there" }] }),
      });
    const limitHeaders = (res: Response) =>
      [...res.headers.keys()].filter((name) => name.startsWith("x-ratelimit"));
    for (let i = 0; i < 3; i++) {
      const counted = await count();
      expect(counted.status).toBe(200);
      expect(limitHeaders(counted)).toEqual([]);
      expect(((await counted.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    }
    const answered = await messages(key);
    expect(answered.status).toBe(200);
    expect(answered.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    await answered.arrayBuffer();
    expect((await count()).status).toBe(200);
    expect429(await messages(key), "requests");
  });
});

describe("tokens per minute, from actual usage", () => {
  test("non-streaming: with tpm = 2u+1, requests 1..3 pass with headers counting each answer's own tokens, the 4th is 429 with its reset the Retry-After", async () => {
    const u = await tokensPerChat();
    const tpm = 2 * u + 1;
    const key = await createKey("tpm", { tpm });
    // Each answer's headers count its own tokens, as the requests family counts its own request.
    for (const used of [u, 2 * u, 3 * u]) {
      const res = await chat(key);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit-tokens")).toBe(String(tpm));
      expect(res.headers.get("x-ratelimit-remaining-tokens")).toBe(String(Math.max(0, tpm - used)));
      // Its own tokens are the newest in the window: it empties a minute after them.
      expect(res.headers.get("x-ratelimit-reset-tokens")).toBe("1m0s");
      expect(((await res.json()) as { usage: { total_tokens: number } }).usage.total_tokens).toBe(u);
    }
    const refused = await chat(key);
    expect429(refused, "tokens");
    expect(refused.headers.get("x-ratelimit-limit-tokens")).toBe(String(tpm));
    // When the refused limit admits again, as Retry-After says (to the second), not when its window empties.
    const reset = refused.headers.get("x-ratelimit-reset-tokens") ?? "";
    expect(Math.ceil(resetSeconds(reset))).toBe(Number(refused.headers.get("retry-after")));
    await refused.arrayBuffer();
  });

  test("streaming (no include_usage from the client) is counted the same", async () => {
    const u = await tokensPerChat();
    const tpm = 2 * u + 1;
    const key = await createKey("tpm-stream", { tpm });
    const openai = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 3; i++) {
      const stream = await openai.chat.completions.create({
        model: "m1",
        messages: [{ role: "user", content: "hello there" }],
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toContain("hello there");
    }
    const refused = await chat(key, { stream: true });
    expect429(refused, "tokens");
    await refused.arrayBuffer();
  });

  test("a streamed /v1/messages call is counted too", async () => {
    const key = await createKey("tpm1-messages", { tpm: 1 });
    const first = await messages(key, { stream: true });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain("message_stop");
    const refused = await messages(key, { stream: true });
    expect429(refused, "tokens");
    expect(((await refused.json()) as { type: string }).type).toBe("error");
  });

  test("embeddings usage is counted too", async () => {
    const key = await createKey("tpm1-embeddings", { tpm: 1 });
    const first = await embeddings(key);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const refused = await embeddings(key);
    expect429(refused, "tokens");
    await refused.arrayBuffer();
  });
});

describe("spend budget from the price table", () => {
  test("a tiny --budget: 429 once it is spent, and it stays spent", async () => {
    const u = await tokensPerChat();
    const perRequest = (u * PRICE) / 1e6;
    const budget = (2.5 * perRequest).toFixed(4);
    const key = await createKey("budget", { budget_usd: budget });
    spentKey = key;
    for (let i = 0; i < 3; i++) {
      const res = await chat(key);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const refused = await chat(key);
    expect(refused.status).toBe(429);
    // A key's own budget never starts over: a day's Retry-After, and the SDKs told not to retry.
    for (const res of [refused, await messages(key)]) {
      expect(res.headers.get("retry-after")).toBe("86400");
      expect(res.headers.get("x-should-retry")).toBe("false");
    }
    expect((await refused.json()) as object).toMatchObject({
      error: { type: "insufficient_quota", code: "budget_exceeded" },
    });
    const alsoRefused = await messages(key);
    expect(alsoRefused.status).toBe(429);
    expect((await alsoRefused.json()) as object).toMatchObject({
      type: "error",
      error: { type: "rate_limit_error" },
    });
  });

  test("a rotated key's budget is its chain's: rotating never starts a budget again", async () => {
    const u = await tokensPerChat();
    const perRequest = (u * PRICE) / 1e6;
    const key = await createKey("budget-rotated", { budget_usd: (1.5 * perRequest).toFixed(4) });
    for (let i = 0; i < 2; i++) await (await chat(key)).arrayBuffer();
    expect((await chat(key)).status).toBe(429);
    const rotated = await fetch(`${gw.url}/admin/api/keys/budget-rotated/rotate`, {
      method: "POST",
      headers: bearer(admin),
      body: JSON.stringify({ grace: "0s" }),
    });
    expect(rotated.status).toBe(201);
    const fresh = ((await rotated.json()) as { key: string }).key;
    const refused = await chat(fresh);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("budget_exceeded");
  });

  test("a rotation's old key in its grace window and its new key spend one budget: what either spends counts for both, and both report it", async () => {
    const u = await tokensPerChat();
    const perRequest = (u * PRICE) / 1e6;
    // Room for three answers of the two keys together, not three each.
    const old = await createKey("budget-grace", { budget_usd: (2.5 * perRequest).toFixed(4) });
    await (await chat(old)).arrayBuffer();
    const rotation = await fetch(`${gw.url}/admin/api/keys/budget-grace/rotate`, {
      method: "POST",
      headers: bearer(admin),
      body: JSON.stringify({ grace: "10m" }),
    });
    expect(rotation.status).toBe(201);
    const rotated = (await rotation.json()) as { key: string; id: string; previous: { id: string } };
    // The old key still works in its grace window, and what it spends there counts for the new one.
    const statuses: number[] = [];
    for (const key of [old, rotated.key, rotated.key, old]) {
      const res = await chat(key);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    // Both ids report the chain's one total (as stored: flushed within a second).
    const ids = `${rotated.previous.id},${rotated.id}`;
    const spent = await waitFor("the chain's spend stored", async () => {
      const { spentUsd } = (await (
        await fetch(`${gw.url}/admin/api/spend?ids=${ids}`, { headers: bearer(admin) })
      ).json()) as { spentUsd: Record<string, number> };
      const [ofOld, ofNew] = [spentUsd[rotated.previous.id] ?? 0, spentUsd[rotated.id] ?? 0];
      return ofOld >= 3 * perRequest - 1e-9 && ([ofOld, ofNew] as const);
    });
    expect(spent[0]).toBeCloseTo(3 * perRequest, 9);
    expect(spent[1]).toBeCloseTo(3 * perRequest, 9);
  });

  test("a spent budget an admin raises lets the key through at once, its spend kept; the change is in the admin log", async () => {
    const u = await tokensPerChat();
    const perRequest = (u * PRICE) / 1e6;
    const key = await createKey("budget-raised", { budget_usd: (1.5 * perRequest).toFixed(4) });
    for (let i = 0; i < 2; i++) await (await chat(key)).arrayBuffer();
    const spent = await chat(key);
    expect(spent.status).toBe(429);
    expect(((await spent.json()) as { error: { message: string } }).error.message).toContain(
      "an admin can raise it",
    );
    const limits = (body: object) =>
      fetch(`${gw.url}/admin/api/keys/budget-raised/limits`, {
        method: "POST",
        headers: bearer(admin),
        body: JSON.stringify(body),
      });
    // Raised by one more request's worth: the spend so far (two requests) still counts.
    const budget = Number((2.5 * perRequest).toFixed(4));
    const raised = await limits({ budget_usd: budget });
    expect(raised.status).toBe(200);
    expect(((await raised.json()) as { budget_usd: number }).budget_usd).toBe(budget);
    const passes = await chat(key);
    expect(passes.status).toBe(200);
    await passes.arrayBuffer();
    const again = await chat(key);
    expect(again.status).toBe(429);
    await again.arrayBuffer();
    // Lifted altogether: no budget at all.
    expect((await limits({ budget_usd: null })).status).toBe(200);
    const free = await chat(key);
    expect(free.status).toBe(200);
    await free.arrayBuffer();
    const { actions } = (await (
      await fetch(`${gw.url}/admin/api/actions?limit=50`, { headers: bearer(admin) })
    ).json()) as { actions: { action: string; detail: string | null }[] };
    const changes = actions.filter((a) => a.action === "key.limits");
    expect(changes).toHaveLength(2);
    expect(changes[0]?.detail).toContain("budget none");
    expect(changes[1]?.detail).toContain(`budget ${budget} USD`);
  });

  test("streamed spend counts against the budget", async () => {
    const u = await tokensPerChat();
    const key = await createKey("budget-stream", { budget_usd: ((0.5 * u * PRICE) / 1e6).toFixed(4) });
    const first = await chat(key, { stream: true });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain("[DONE]");
    const refused = await chat(key, { stream: true });
    expect(refused.status).toBe(429);
    await refused.arrayBuffer();
  });

  test("spend survives a restart: the spent key is still refused", async () => {
    expect(spentKey).not.toBe("");
    expect(await gw.stop()).toBe(0);
    gw = await fx.restart();
    const refused = await chat(spentKey);
    expect(refused.status).toBe(429);
    expect((await refused.json()) as object).toMatchObject({ error: { code: "budget_exceeded" } });
  });

  test("a key with no limits carries no x-ratelimit headers", async () => {
    const res = await chat(admin);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBeNull();
    await res.arrayBuffer();
  });
});
