import { afterAll, expect, test } from "bun:test";
import { type CannedUpstream, startCannedUpstream } from "../../test/fake-upstream/canned-upstream.ts";
import { parseConfig } from "../config/load-config.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import type { Gateway } from "./create-gateway.ts";

// Every route's breaker open: the 503 says when the soonest lets a probe through, in whole seconds
// a client can read, and never past the day the gateway tells at most for any wait
// (core/stated-delay.ts), whatever `circuit_breaker.cooldown` an operator wrote. A cooldown of
// years was told as its 13-digit count of seconds, and a longer one as `8.64e+24`, which no
// client reads as a number.

const opened: { gateway: Gateway; upstream: CannedUpstream }[] = [];
afterAll(async () => {
  for (const { gateway, upstream } of opened) {
    await gateway.stop();
    await upstream.stop();
  }
});

/** The refusal of the call after the one that opened the only route's breaker, `cooldown` long. */
async function refusedWhileOpen(cooldown: string): Promise<Response> {
  // Nothing queued: the upstream answers every call 500, as a server that is down does.
  const upstream = startCannedUpstream();
  const { gateway, adminKey } = await recordingGateway(
    parseConfig({
      storage: { path: ":memory:" },
      providers: [{ name: "lab", type: "openai", base_url: `${upstream.url}/v1` }],
      models: [{ name: "m", routes: [{ provider: "lab", model: "m" }] }],
      routing: { retries: 0, circuit_breaker: { failures: 1, cooldown } },
    }),
  );
  opened.push({ gateway, upstream });
  const { port } = gateway.listen("127.0.0.1", 0);
  const chat = () =>
    fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
  expect((await chat()).status).toBe(500);
  const refused = await chat();
  expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([
    503,
    "no_route_available",
  ]);
  expect(upstream.requests).toHaveLength(1);
  return refused;
}

test("a breaker whose cooldown is longer than a day: Retry-After a day, an integer, and not to retry at once", async () => {
  for (const cooldown of ["3650d", "99999999999999999999d"]) {
    const refused = await refusedWhileOpen(cooldown);
    expect([cooldown, refused.headers.get("retry-after"), refused.headers.get("x-should-retry")]).toEqual([
      cooldown,
      "86400",
      "false",
    ]);
  }
});

test("a breaker whose cooldown is within a day: Retry-After when its probe is due, never later", async () => {
  const refused = await refusedWhileOpen("90s");
  const told = Number(refused.headers.get("retry-after"));
  expect(told > 0 && told <= 90).toBe(true);
});
