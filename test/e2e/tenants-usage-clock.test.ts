/**
 * `GET /admin/api/tenants` on a gateway whose wall clock NTP steps back (libfaketime,
 * skewed-clock.ts): the tenants' usage, read once for every caller for a few seconds, is read
 * again a few seconds later on the gateway's own time, however its wall clock was stepped
 * (DEPLOYMENT.md, "Clocks").
 */
import { afterAll, expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { adminGet } from "./harness/audit-kit.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayClockBack } from "./harness/gateway-clock.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { steppableClock } from "./harness/skewed-clock.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

const clockDir = tempDir("mindgw-clock-");
afterAll(() => clockDir.cleanup());
/** Ten minutes ahead at the start; stepped back to the host's time by the test. */
const clock = steppableClock(clockDir.path, 600);

const fx = gatewayFixture({ env: clock.env, config: { tenants: [{ name: "team" }] } });

test("a tenant's usage read before an NTP step back of 10 minutes is read again within seconds of the step, not 10 minutes later", async () => {
  const gw = { url: fx.gw.url, adminKey: fx.gw.adminKey ?? "" };
  const { key } = await createKey(gw, { name: "team-key", tenant: "team" });
  const chat = async () => {
    const response = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: bearer(key),
      body: chatBody("fake-model"),
    });
    await response.arrayBuffer();
    expect(response.status).toBe(200);
  };
  const requests = async () =>
    (
      await adminGet<{ tenants: { name: string; usage: { requests: number } }[] }>(gw, "/admin/api/tenants")
    ).tenants.find((t) => t.name === "team")?.usage.requests;
  await chat();
  await waitFor("the first request in the team's usage", async () => (await requests()) === 1, 20_000, 500);
  await gatewayClockBack(clock, gw.url);
  await chat();
  // The usage read before the step serves 5 s of the gateway's time, then the audit log is read again.
  await waitFor("the second request in the team's usage", async () => (await requests()) === 2, 30_000, 500);
}, 90_000);
