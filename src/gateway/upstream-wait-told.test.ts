import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../../test/fake-upstream/canned-upstream.ts";
import { parseConfig } from "../config/load-config.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import type { Gateway } from "./create-gateway.ts";

// A direct upstream's refusal saying a wait no client reads (`99999999999` s, `-5`, `soon`, a date
// years off, a `retry-after-ms` of years) reached the caller as sent (routing/retry-advice.ts told
// only a sooner wait or an added `Retry-After`), where RELIABILITY.md promises every wait the
// gateway tells is whole seconds, a day at most: the caller is told it bounded, or, unreadable on
// a 5xx, not at all (its SDK's own backoff), as a 429 with none is told `Retry-After: 1`.

const REFUSAL = JSON.stringify({
  error: { message: "Slow down.", type: "requests", param: null, code: "rate_limit_exceeded" },
});
const refusal = (status: number, headers: Record<string, string>) => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: REFUSAL,
});

/** An HTTP date ten years on. */
const YEARS_AHEAD = new Date(Date.now() + 10 * 365 * 86_400_000).toUTCString();

let upstream: CannedUpstream;
let gateway: Gateway;
let adminKey = "";
let base = "";

beforeAll(async () => {
  upstream = startCannedUpstream();
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      providers: [{ name: "a", type: "openai", base_url: `${upstream.url}/v1` }],
      models: [{ name: "m", routes: [{ provider: "a", model: "m-a" }] }],
      routing: { retries: 0, circuit_breaker: { failures: 50 } },
    }),
  ));
  base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await gateway.stop();
  await upstream.stop();
});

type Door = "openai" | "anthropic";

/** The headers of the refusal the caller's own SDK (no retries) throws, whole or streamed. */
async function refusedHeaders(door: Door, stream: boolean): Promise<Headers | undefined> {
  try {
    if (door === "openai") {
      const client = new OpenAI({ apiKey: adminKey, baseURL: `${base}/v1`, maxRetries: 0 });
      const messages = [{ role: "user" as const, content: "hi" }];
      if (stream) await client.chat.completions.create({ model: "m", messages, stream: true });
      else await client.chat.completions.create({ model: "m", messages });
    } else {
      const client = new Anthropic({ apiKey: adminKey, baseURL: base, maxRetries: 0 });
      const ask = { model: "m", max_tokens: 16, messages: [{ role: "user" as const, content: "hi" }] };
      if (stream) await client.messages.create({ ...ask, stream: true });
      else await client.messages.create(ask);
    }
  } catch (error) {
    if (error instanceof OpenAI.APIError || error instanceof Anthropic.APIError) return error.headers;
    throw error;
  }
  throw new Error("the call was answered");
}

const told = (headers: Headers | undefined) => [
  headers?.get("retry-after") ?? null,
  headers?.get("retry-after-ms") ?? null,
];

test.each([
  ["openai", false, 429, { "retry-after": "99999999999" }, ["86400", null]],
  ["openai", true, 429, { "retry-after": YEARS_AHEAD }, ["86400", null]],
  ["openai", false, 429, { "retry-after-ms": "99999999999999" }, ["86400", "86400000"]],
  ["openai", true, 503, { "retry-after": "99999999999" }, ["86400", null]],
  ["openai", false, 503, { "retry-after": "-5" }, [null, null]],
  ["openai", false, 503, { "retry-after": "soon", "retry-after-ms": "-1" }, [null, null]],
  ["openai", false, 429, { "retry-after": "-5", "retry-after-ms": "soon" }, ["1", null]],
  ["anthropic", false, 429, { "retry-after": "99999999999" }, ["86400", null]],
  ["anthropic", true, 429, { "retry-after-ms": "1e24", "retry-after": "1e21" }, ["86400", "86400000"]],
  ["anthropic", true, 503, { "retry-after": YEARS_AHEAD }, ["86400", null]],
  ["anthropic", false, 503, { "retry-after": "soon" }, [null, null]],
] as const)(
  "%s front door (stream %p), an upstream's %d with %o: the caller is told %o",
  async (door, stream, status, headers, expected) => {
    upstream.queue(refusal(status, headers));
    const got = await refusedHeaders(door, stream);
    expect(told(got)).toEqual([...expected]);
    // A wait over what the SDKs wait as told: not to retry at once (CLIENTS.md).
    if (expected[0] === "86400") expect(got?.get("x-should-retry")).toBe("false");
  },
);

test("a wait within a day, said as the gateway says one, reaches the caller as sent", async () => {
  upstream.queue(refusal(429, { "retry-after": "7", "retry-after-ms": "6500" }));
  expect(told(await refusedHeaders("openai", false))).toEqual(["7", "6500"]);
});
