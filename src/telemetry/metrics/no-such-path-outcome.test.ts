import { afterAll, expect, test } from "bun:test";
import { seriesBy } from "../../testing/metric-series.ts";
import { recordOf } from "../../testing/recording-gateway.ts";
import { storedGateway } from "../../testing/stored-gateway.ts";

// A 404 no API answered (a wrong base_url, an operation the server lacks) counts toward no breaker
// (core/upstream-fault.ts `path`): with a fallback route the callers are served and nothing else
// says it, so its attempts are counted apart, outcome `no_such_path`, for an alert to name the route.

/** What a vLLM (FastAPI) answers a path it has no route for, as a base_url without /v1 reaches. */
const fastApi = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => Response.json({ detail: "Not Found" }, { status: 404 }),
});
const gw = storedGateway({
  providers: [
    { name: "no-v1", type: "openai", base_url: fastApi.url.href },
    { name: "demo", type: "mock" },
  ],
  models: [
    {
      name: "m",
      routes: [
        { provider: "no-v1", model: "m" },
        { provider: "demo", model: "m" },
      ],
    },
  ],
});
afterAll(() => fastApi.stop(true));

/** `mindgw_upstream_attempts_total` by provider and outcome. */
const attempts = (text: string) => seriesBy(text, "mindgw_upstream_attempts_total", ["provider", "outcome"]);

test("a wrong base_url's 404, failed over to the next route: the caller served, the attempt counted as no_such_path", async () => {
  for (let i = 0; i < 2; i++) {
    const answered = await gw.call("POST", "/v1/chat/completions", {
      model: "m",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(answered.status).toBe(200);
    await answered.text();
    await recordOf(gw.finished, answered);
  }
  const scraped = await gw.call("GET", "/metrics");
  expect(scraped.status).toBe(200);
  expect(attempts(await scraped.text())).toEqual({ "no-v1 no_such_path": 2, "demo ok": 2 });
});
