import { afterEach, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { startGatewayWithWorker, waitFor } from "./testing/tunnel-harness.ts";

// A worker's upstream refusal reaches the gateway with what it said of when, or whether, to try
// again, as a direct route's does: the same headers, read by the same code (retry-headers.ts), not
// its Retry-After alone.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** What a direct route keeps of the same refusal, to compare with. */
const direct = (status: number, headers: Record<string, string>) =>
  upstreamFailure(
    "up",
    { status, headers: new Headers(headers), text: '{"error":{"message":"refused"}}' },
    "openai",
  );

test.each([
  [
    "retry-after-ms and x-should-retry beside Retry-After",
    503,
    { "retry-after": "2", "retry-after-ms": "1500", "x-should-retry": "false" },
  ],
  [
    "OpenAI's daily limit, said in its rate-limit headers alone",
    429,
    { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s" },
  ],
])("%s: told through the worker as a direct route tells it", async (_, status, headers) => {
  const s = await startGatewayWithWorker(cleanups);
  await waitFor("the worker to register", () => s.gateway.registry.serves("llama-small"));
  const failure = (await s.gateway
    .call({ body: { model: "llama-small", messages: [], fake: { refuse: { status, headers } } } })
    .catch((error: unknown) => error)) as GatewayError;
  const said = direct(status, headers);
  expect(failure.status).toBe(said.status);
  expect(Object.keys(said.headers).length).toBeGreaterThan(1);
  expect(failure.headers).toMatchObject(said.headers);
});
