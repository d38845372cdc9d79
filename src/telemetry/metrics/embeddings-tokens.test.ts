import { expect, test } from "bun:test";
import { seriesBy } from "../../testing/metric-series.ts";
import { recordOf } from "../../testing/recording-gateway.ts";
import { storedGateway } from "../../testing/stored-gateway.ts";

// An embedding generates no tokens: gen_ai_client_token_usage has its input tokens alone, as the
// GenAI conventions' embeddings span has (embeddings-usage.test.ts), where each embeddings call
// was also an observation of 0 output tokens, in the `le="1"` bucket of every output quantile.

const gw = storedGateway({
  providers: [{ name: "demo", type: "mock" }],
  models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
});

/** `gen_ai_client_token_usage_count` of model m by front door and token type. */
const tokenCounts = (text: string) =>
  seriesBy(text, "gen_ai_client_token_usage_count", ["front_door", "gen_ai_token_type"], { model: "m" });

test("an embeddings call counts its input tokens alone; a chat call its input and output", async () => {
  const chat = { model: "m", messages: [{ role: "user", content: "hello" }] };
  for (const [path, body] of [
    ["/v1/embeddings", { model: "m", input: "three words here" }],
    ["/v1/chat/completions", chat],
  ] as const) {
    const answered = await gw.call("POST", path, body);
    expect(answered.status).toBe(200);
    await answered.text();
    // Counted as the request ends, once its answer is written.
    expect((await recordOf(gw.finished, answered)).inputTokens).toBeGreaterThan(0);
  }
  const scraped = await gw.call("GET", "/metrics");
  expect(scraped.status).toBe(200);
  const text = await scraped.text();
  expect(tokenCounts(text)).toEqual({
    "embeddings input": 1,
    "chat input": 1,
    "chat output": 1,
  });
});
