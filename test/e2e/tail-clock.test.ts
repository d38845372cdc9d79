/**
 * `mindgw tail` on a host whose wall clock leaps forward (libfaketime running it ten times as fast:
 * a step at every look, skewed-clock.ts): a live event stream the gateway keeps alive is kept,
 * never dropped as "no data from the gateway" and reconnected (DEPLOYMENT.md, "Clocks").
 */
import { expect, test } from "bun:test";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { racingClock } from "./harness/skewed-clock.ts";
import { spawnTail, untilListening } from "./harness/spawn-tail.ts";

const fx = gatewayFixture({});

async function chat(): Promise<string> {
  const response = await fetch(`${fx.gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: bearer(fx.gw.adminKey ?? ""),
    body: chatBody("fake-model"),
  });
  await response.arrayBuffer();
  return response.headers.get("x-request-id") ?? "";
}

test("a tail whose wall clock leaps forward keeps its stream through a quiet 8 s: no reconnect, the request's finish printed", async () => {
  // Its bound: 45 s without a byte. The gateway sends a keep-alive every 15 s.
  const tail = spawnTail(["--gateway", fx.gw.url, "--json"], {
    MINDGW_ADMIN_KEY: fx.gw.adminKey ?? "",
    ...racingClock(10),
  });
  fx.deferTest(() => tail.stop());
  await untilListening(tail, chat);
  // Stimulus: a model that thinks 8 s before it answers; nothing is sent to the tail meanwhile.
  fx.fake.enqueue({ delay: 8_000 });
  const slow = await chat();
  await tail.finished(slow, 20_000);
  expect(tail.stderr.all).not.toContain("no data from the gateway");
}, 60_000);
