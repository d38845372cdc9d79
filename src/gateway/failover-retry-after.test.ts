import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../../test/fake-upstream/canned-upstream.ts";
import { parseConfig } from "../config/load-config.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import type { Gateway } from "./create-gateway.ts";

// A 5xx on every route, each saying when to come back: the caller is told the soonest any route
// said, as a 429 is (routing/retry-advice.ts), where it was told the last route's alone. The first
// route's "back in 1 s" lost to the fallback's "120 s", said with `x-should-retry: false`: the SDK
// gave up on a call the first route would have served a second later.

const OVERLOADED = JSON.stringify({
  error: { message: "The server is overloaded.", type: "server_error", param: null, code: null },
});
const overloaded = (retryAfter: string) => ({
  status: 503,
  headers: { "content-type": "application/json", "retry-after": retryAfter },
  body: OVERLOADED,
});
const ANSWER = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  created: 7,
  model: "m-a",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

let primary: CannedUpstream;
let fallback: CannedUpstream;
let gateway: Gateway;
let adminKey = "";
let base = "";

beforeAll(async () => {
  primary = startCannedUpstream();
  fallback = startCannedUpstream();
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      providers: [
        { name: "a", type: "openai", base_url: `${primary.url}/v1` },
        { name: "b", type: "openai", base_url: `${fallback.url}/v1` },
      ],
      models: [
        {
          name: "m",
          routes: [
            { provider: "a", model: "m-a" },
            { provider: "b", model: "m-b" },
          ],
        },
      ],
      routing: { retries: 0, circuit_breaker: { failures: 50 } },
    }),
  ));
  base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await gateway.stop();
  await primary.stop();
  await fallback.stop();
});

const ask = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };

test("both routes 503, the first saying 1 s and the last 120 s: the caller is told 1 s, worth a retry", async () => {
  primary.queue(overloaded("1"));
  fallback.queue(overloaded("120"));
  const refused = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify(ask),
  });
  expect([refused.status, refused.headers.get("retry-after"), refused.headers.get("x-should-retry")]).toEqual(
    [503, "1", null],
  );
  // The upstream's own error body, as a caller of its dialect gets it.
  expect(await refused.text()).toBe(OVERLOADED);
});

test("the OpenAI SDK waits the soonest and is served by the first route when it is back", async () => {
  primary.queue(overloaded("1"), { headers: { "content-type": "application/json" }, body: ANSWER });
  fallback.queue(overloaded("120"));
  const client = new OpenAI({ apiKey: adminKey, baseURL: `${base}/v1`, maxRetries: 1 });
  const answer = await client.chat.completions.create(ask);
  expect(answer.choices[0]?.message.content).toBe("hi");
});

test("the last route saying nothing leaves the caller the SDK's own short backoff, as it was", async () => {
  primary.queue(overloaded("30"));
  fallback.queue({ status: 503, headers: { "content-type": "application/json" }, body: OVERLOADED });
  const refused = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify(ask),
  });
  expect([refused.status, refused.headers.get("retry-after")]).toEqual([503, null]);
});
