import { afterAll, expect, test } from "bun:test";
import { startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import { parseConfig } from "../config/load-config.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import { timerOverflows } from "../testing/timer-overflows.ts";

// `server.drain_timeout: 30d`, as an operator writes "let every stream finish": longer than
// setTimeout's 2^31 - 1 ms, which Bun fires after 1 ms. A stop then cut every stream at once as
// past its drain deadline, and gave each of its steps (the audit's last writes among them) 1 ms.

const fake = await startFakeUpstream();
afterAll(() => fake.stop());

test("a stop with a 30-day drain_timeout lets a stream under way finish whole, audited 200", async () => {
  const { gateway, adminKey, finished } = await recordingGateway(
    parseConfig(
      {
        storage: { path: ":memory:" },
        server: { drain_timeout: "30d" },
        providers: [{ name: "up", type: "openai", base_url: `${fake.url}/v1`, api_key: "k" }],
        models: [{ name: "m", routes: [{ provider: "up", model: "fake-model" }] }],
      },
      {},
    ),
  );
  const response = await gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        stream: true,
        messages: [{ role: "user", content: "one two three [[fake:chunkDelay=40]]" }],
      }),
    }),
  );
  expect(response.status).toBe(200);
  const overflows = timerOverflows();
  const stopped = gateway.stop();
  const text = await response.text();
  await stopped;
  overflows.stop();
  expect(overflows.seen()).toBe(0);
  expect(text).not.toContain("drain deadline");
  expect(text).toEndWith("data: [DONE]\n\n");
  expect((await recordOf(finished, response)).status).toBe(200);
});
