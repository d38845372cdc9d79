/**
 * One node (SQLite) whose wall clock NTP steps while it runs: a key's rpm and tpm windows are a
 * minute of the node's own time, whatever the step (DEPLOYMENT.md, "Clocks"). A step forward
 * empties no window (the rpm stays exact), and a step back holds no key for the step's length
 * (Retry-After stays within the minute); so do the admin console's sign-ins an address may try a
 * minute. The gateway runs under libfaketime (skewed-clock.ts).
 */
import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { sdkChatAnswer } from "./harness/sdk-chat-answer.ts";
import { type SteppableClock, steppableClock } from "./harness/skewed-clock.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

/** Ten minutes: longer than a window many times over, as an NTP step after a long drift is. */
const STEP_S = 600;

/** The admin console's sign-ins an address may try a minute (`admin_ui.sign_in_per_minute`). */
const SIGN_INS = 2;

let clock: SteppableClock;
const fx = gatewayFixture({
  models: ["m1"],
  config: { admin_ui: { sign_in_per_minute: SIGN_INS } },
  env: (ctx) => {
    clock = steppableClock(ctx.dir, 0);
    return clock.env;
  },
});

beforeAll(() => {
  expect(fx.gw.adminKey).toBeTruthy();
});

/** Steps the gateway's wall clock to `seconds` off the host's and waits until its answers' Date says so. */
async function stepTo(seconds: number): Promise<void> {
  clock.step(seconds);
  await waitFor(
    `the gateway's clock ${seconds} s off the host's`,
    async () => {
      const response = await fetch(fx.url("/healthz"));
      await response.arrayBuffer();
      const offMs = Date.parse(response.headers.get("date") ?? "") - Date.now();
      return Math.abs(offMs - seconds * 1000) < 5_000;
    },
    20_000,
    200,
  );
}

/** One call through the official SDK (no retries): its status and Retry-After (seconds; null when none). */
async function call(key: string): Promise<{ status: number; retryAfter: number | null }> {
  const { status, headers } = await sdkChatAnswer(fx.url("/v1"), key, "m1");
  const retryAfter = headers.get("retry-after");
  return { status, retryAfter: retryAfter === null ? null : Number(retryAfter) };
}

test("a step forward of 10 minutes empties no key's window: an rpm of 2 spent before it still refuses the third call", async () => {
  await stepTo(0);
  const { key } = await createKey(fx.gw, { name: "rpm2-forward", rpm: 2 });
  expect((await call(key)).status).toBe(200);
  expect((await call(key)).status).toBe(200);
  await stepTo(STEP_S);
  const third = await call(key);
  expect(third.status).toBe(429);
  expect(third.retryAfter).toBeGreaterThanOrEqual(1);
  expect(third.retryAfter).toBeLessThanOrEqual(60);
});

test("a step back of 10 minutes holds no key past its minute: rpm and tpm refusals say a Retry-After within it", async () => {
  await stepTo(STEP_S);
  const { key: rpmKey } = await createKey(fx.gw, { name: "rpm1-back", rpm: 1 });
  const { key: tpmKey } = await createKey(fx.gw, { name: "tpm1-back", tpm: 1 });
  expect((await call(rpmKey)).status).toBe(200);
  expect((await call(tpmKey)).status).toBe(200);
  await stepTo(0);
  for (const key of [rpmKey, tpmKey]) {
    const refused = await call(key);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
  }
});

/** One admin-key sign-in to the console (a wrong key): its status and Retry-After (seconds; null when none). */
async function signIn(): Promise<{ status: number; retryAfter: number | null }> {
  const response = await fetch(fx.url("/admin/auth/login"), {
    method: "POST",
    headers: { authorization: "Bearer mgw_not-a-key" },
  });
  await response.arrayBuffer();
  const retryAfter = response.headers.get("retry-after");
  return { status: response.status, retryAfter: retryAfter === null ? null : Number(retryAfter) };
}

test("the console's sign-in bound runs on the node's own minute: a step forward of 10 minutes frees no address, a step back holds none past its minute", async () => {
  await stepTo(0);
  const tries: number[] = [];
  for (let i = 0; i < SIGN_INS; i++) tries.push((await signIn()).status);
  expect(tries).toEqual(Array(SIGN_INS).fill(401));
  expect((await signIn()).status).toBe(429);
  for (const seconds of [STEP_S, 0]) {
    await stepTo(seconds);
    const refused = await signIn();
    expect([seconds, refused.status]).toEqual([seconds, 429]);
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBeLessThanOrEqual(60);
  }
});
