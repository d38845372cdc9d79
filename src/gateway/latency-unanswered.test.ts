import { expect, test } from "bun:test";
import { twoRouteGateway } from "../testing/two-route-gateway.ts";

// `strategy: latency` through the gateway, the OpenAI SDK and two canned upstreams. A route that
// has never answered counted as not yet measured, and not yet measured goes first: one refusing
// every call with a rate limit's 429 (which no breaker counts) was tried first by every request,
// each paying its round trip before the route that answers.

// OpenAI's rate limit (a low tier's requests per minute), saying to come back later than the
// route's retry would wait: failed over at once, and never counted by the breaker (the upstream
// is up, only not for us now), so nothing took the route out.
const LIMITED = JSON.stringify({
  error: {
    message:
      "Rate limit reached for gpt-4o in organization org-x on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
    type: "requests",
    param: null,
    code: "rate_limit_exceeded",
  },
});
const limited = {
  status: 429,
  headers: { "content-type": "application/json", "retry-after": "20" },
  body: LIMITED,
};
const ANSWER = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  created: 7,
  model: "m-b",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const answered = { headers: { "content-type": "application/json" }, body: ANSWER };

const routes = twoRouteGateway("latency");

test("a route tried and never answered goes after the measured ones: the next requests go to the route that answers", async () => {
  const { upstreamA, upstreamB, client } = routes;
  upstreamA.queue(limited, limited, limited);
  upstreamB.queue(answered, answered, answered);
  for (let i = 0; i < 3; i++)
    expect(
      (await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }))
        .model,
    ).toBe("m-b");
  // The first request tried a (never measured) and failed over; the next two went to b alone.
  expect([upstreamA.requests.length, upstreamB.requests.length]).toEqual([1, 3]);
});
