import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { shadowedGateway } from "../testing/shadowed-gateway.ts";
import { waitForValue } from "../testing/wait-for.ts";
import type { ShadowPage } from "./shadow-api-schema.ts";

// A client that goes away mid-stream, through the gateway in-process: its copy runs on to its own
// end, and the pair is recorded, the primary's side as the client's request ended (499).

const gw = shadowedGateway(({ baseUrl, dbPath }) =>
  parseConfig({
    storage: { path: dbPath },
    providers: [
      // The primary's stream comes slowly: the client is gone long before its end.
      { name: "slow", type: "openai", base_url: baseUrl, headers: { "x-fake-chunk-delay": "50" } },
      { name: "twin", type: "openai", base_url: baseUrl },
    ],
    models: [
      {
        name: "m",
        routes: [{ provider: "slow", model: "m1" }],
        shadow: { provider: "twin", model: "candidate", sample: 1 },
      },
    ],
    routing: { retries: 0 },
    audit: { bodies: true },
  }),
);

test("a client gone mid-stream: its copy still answers whole and the pair is recorded", async () => {
  const words = "a b c d e f g h i j k l m n o p";
  const res = await gw.gateway.handle(
    new Request("http://gw/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${gw.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: words }] }),
    }),
  );
  const requestId = res.headers.get("x-request-id");
  const reader = res.body?.getReader();
  await reader?.read();
  await reader?.cancel();
  const pair = await waitForValue(
    "the pair of the request its client left",
    async () => {
      const page = await gw.gateway.handle(
        new Request("http://gw/admin/api/shadow", { headers: { authorization: `Bearer ${gw.adminKey}` } }),
      );
      return ((await page.json()) as ShadowPage).records.find((record) => record.requestId === requestId);
    },
    10_000,
  );
  expect(pair.stream).toBe(true);
  expect(pair.primary).toMatchObject({ status: 499, errorClass: "client_closed", answer: null });
  expect(pair.shadow).toMatchObject({ status: 200, answer: `echo: ${words}`, finish: "stop" });
  // A side that failed is compared with nothing.
  expect(pair.agreement.exact).toBeNull();
});
