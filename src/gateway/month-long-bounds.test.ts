import { afterAll, expect, test } from "bun:test";
import { startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import { parseConfig } from "../config/load-config.ts";
import { callAs, recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import { timerOverflows } from "../testing/timer-overflows.ts";

// `routing.timeouts` (and `stream_keepalive`) of 30 days, as an operator writes "no bound" where 0 is refused: longer than
// setTimeout's 2^31 - 1 ms, which Bun then fires after 1 ms. Every bound of a call waiting on its
// upstream re-armed so woke the event loop each millisecond, a TimeoutOverflowWarning on stderr
// each time, for as long as the call waited.

const fake = await startFakeUpstream();
const { gateway, adminKey, finished } = await recordingGateway(
  parseConfig(
    {
      storage: { path: ":memory:" },
      providers: [{ name: "slow", type: "openai", base_url: `${fake.url}/v1`, api_key: "k" }],
      routing: { timeouts: { connect: "30d", first_byte: "30d", idle: "30d" }, stream_keepalive: "30d" },
      models: [{ name: "m", routes: [{ provider: "slow", model: "fake-model" }] }],
    },
    {},
  ),
);
afterAll(async () => {
  await gateway.stop();
  await fake.stop();
});

const overflows = timerOverflows();
afterAll(() => overflows.stop());

const chat = (stream: boolean, marker: string) =>
  callAs(gateway, adminKey, "POST", "/v1/chat/completions", {
    model: "m",
    stream,
    messages: [{ role: "user", content: `hi ${marker}` }],
  });

test.each([
  ["a whole answer that takes 100 ms", false, "[[fake:delay=100]]"],
  ["a stream whose chunks come 30 ms apart", true, "[[fake:chunkDelay=30]]"],
  ["a stream whose first token takes 100 ms", true, "[[fake:ttfb=100]]"],
])("bounds of 30 days: %s is served, and no timer overflows", async (_name, stream, marker) => {
  const before = overflows.seen();
  const response = await chat(stream, marker);
  const text = await response.text();
  expect(response.status).toBe(200);
  expect(text).toContain("echo:");
  expect((await recordOf(finished, response)).status).toBe(200);
  expect(overflows.seen() - before).toBe(0);
});

test("a keep-alive of 30 days under an idle bound of 60: the sooner, still past a timer's range, overflows no timer", async () => {
  const longer = await recordingGateway(
    parseConfig(
      {
        storage: { path: ":memory:" },
        providers: [{ name: "slow", type: "openai", base_url: `${fake.url}/v1`, api_key: "k" }],
        routing: { timeouts: { connect: "60d", first_byte: "60d", idle: "60d" }, stream_keepalive: "30d" },
        models: [{ name: "m", routes: [{ provider: "slow", model: "fake-model" }] }],
      },
      {},
    ),
  );
  try {
    const before = overflows.seen();
    const response = await longer.gateway.handle(
      new Request("http://localhost/v1/chat/completions", {
        method: "POST",
        headers: { authorization: `Bearer ${longer.adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          stream: true,
          messages: [{ role: "user", content: "hi [[fake:chunkDelay=30]]" }],
        }),
      }),
    );
    expect(await response.text()).toContain("echo:");
    expect((await recordOf(longer.finished, response)).status).toBe(200);
    expect(overflows.seen() - before).toBe(0);
  } finally {
    await longer.gateway.stop();
  }
});
