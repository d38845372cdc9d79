/**
 * The circuit breaker of a gateway whose wall clock NTP steps back (libfaketime, skewed-clock.ts):
 * a route taken out for its cooldown is probed again once the cooldown has passed on the
 * gateway's own time, however its wall clock was stepped meanwhile (DEPLOYMENT.md, "Clocks").
 * Two fake upstreams, `a` and `b`, stand in for the providers.
 */
import { afterAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { type FakeUpstream, startFakeUpstream } from "../fake-upstream/fake-upstream.ts";
import { gatewayClockBack } from "./harness/gateway-clock.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { steppableClock } from "./harness/skewed-clock.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

const COOLDOWN_MS = 2_000;
const clockDir = tempDir("mindgw-clock-");
afterAll(() => clockDir.cleanup());
/** Ten minutes ahead at the start; stepped back to the host's time by the test. */
const clock = steppableClock(clockDir.path, 600);

let a: FakeUpstream;
let b: FakeUpstream;
const fx = gatewayFixture({
  fakeRoutes: false,
  env: clock.env,
  config: async (_aUrl, { fake, own }) => {
    a = fake;
    b = own(await startFakeUpstream());
    return {
      providers: [
        { name: "a", type: "openai", base_url: `${a.url}/v1` },
        { name: "b", type: "openai", base_url: `${b.url}/v1` },
      ],
      models: [
        {
          name: "breaker",
          routes: [
            { provider: "a", model: "breaker-a" },
            { provider: "b", model: "breaker-b" },
          ],
        },
      ],
      routing: { retries: 0, backoff: "5ms", circuit_breaker: { failures: 2, cooldown: `${COOLDOWN_MS}ms` } },
    };
  },
});

test("a route whose breaker opened before an NTP step back of 10 minutes is probed again after its cooldown, not 10 minutes later", async () => {
  const client = new OpenAI({ apiKey: fx.gw.adminKey ?? "", baseURL: `${fx.gw.url}/v1`, maxRetries: 0 });
  const breaker = async () =>
    (await client.chat.completions.create({ model: "breaker", messages: [{ role: "user", content: "hi" }] }))
      .model;
  // Two failures on `a` (each failed over to `b`) open its breaker.
  a.enqueue({ status: 503 }, { status: 503 });
  expect([await breaker(), await breaker()]).toEqual(["breaker-b", "breaker-b"]);
  expect(await breaker()).toBe("breaker-b");
  await gatewayClockBack(clock, fx.gw.url);
  // The cooldown is 2 s of the gateway's time: `a` answers the probe and serves again.
  await waitFor("a to serve again", async () => (await breaker()) === "breaker-a", 20_000, 200);
}, 60_000);
