/**
 * A key's rpm lowered through the admin API and raised again within the minute: the requests its
 * window holds are all still counted, so the raised limit admits only what it has room for (the
 * shared counters in Redis count them so too: cluster/admit-script.ts). SECURITY.md, per-key rpm.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { sdkChatAnswer } from "./harness/sdk-chat-answer.ts";

setDefaultTimeout(60_000);

const fx = gatewayFixture({ models: ["m1"] });

/** Sets the key's rpm through `POST /admin/api/keys/{id}/limits`. */
async function setRpm(id: string, rpm: number): Promise<void> {
  const response = await fetch(fx.url(`/admin/api/keys/${id}/limits`), {
    method: "POST",
    headers: bearer(fx.gw.adminKey ?? ""),
    body: JSON.stringify({ rpm }),
  });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

/** One call through the official SDK (no retries): its status and remaining requests. */
async function call(key: string): Promise<{ status: number; remaining: string | null }> {
  const { status, headers } = await sdkChatAnswer(fx.url("/v1"), key, "m1");
  return { status, remaining: headers.get("x-ratelimit-remaining-requests") };
}

test("an rpm of 4 spent, lowered to 1 (a refusal meanwhile) and raised to 4 again within the minute, still refuses: its 4 requests are counted", async () => {
  const { key, id } = await createKey(fx.gw, { name: "rpm-lowered", rpm: 4 });
  for (let i = 0; i < 4; i++) expect((await call(key)).status).toBe(200);
  await setRpm(id, 1);
  expect(await call(key)).toEqual({ status: 429, remaining: "0" });
  await setRpm(id, 4);
  expect(await call(key)).toEqual({ status: 429, remaining: "0" });
  // Raised past them, it admits what the new limit leaves room for, and no more.
  await setRpm(id, 6);
  expect(await call(key)).toEqual({ status: 200, remaining: "1" });
  expect(await call(key)).toEqual({ status: 200, remaining: "0" });
  expect((await call(key)).status).toBe(429);
});
