import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../config/load-config.ts";
import { createLogger } from "../../log/logger.ts";
import { type RecordingGateway, recordingGateway, recordOf } from "../../testing/recording-gateway.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// Signing in with an admin key is held to the bound single sign-on's steps are (sign-in-limit.ts),
// counted before the key is checked: a guesser from one address gets that many tries a minute.
// Through the real gateway (app.handle, a real SQLite file).
const BOUND = 5;
const dir = mkdtempSync(join(tmpdir(), "mindgw-key-limit-"));
const written: string[] = [];
let at: RecordingGateway;

beforeAll(async () => {
  at = await recordingGateway(
    parseConfig({ storage: { path: join(dir, "gw.db") }, admin_ui: { sign_in_per_minute: BOUND } }),
    createLogger({ format: "json", write: (line) => written.push(line) }),
  );
});
afterAll(async () => {
  await at.gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const login = (clientIp: string, key: string) =>
  at.gateway.handle(
    new Request("http://localhost/admin/auth/login", {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
    }),
    { clientIp },
  );

test("past the bound an address's login is a 429 with Retry-After, the right key too, logged with its request id and reason, never the key", async () => {
  const guesser = "203.0.113.50";
  const guesses: number[] = [];
  for (let i = 0; i < BOUND; i++) guesses.push((await login(guesser, `mgw_guess-${i}`)).status);
  expect(guesses).toEqual(Array(BOUND).fill(401));
  const refused = await login(guesser, at.adminKey);
  expect(refused.status).toBe(429);
  const retryAfter = Number(refused.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(refused.headers.get("set-cookie")).toBeNull();
  const body = (await refused.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe("rate_limited");
  expect(body.error.message).toContain(`too many sign-in attempts from this address (${BOUND} a minute)`);
  const id = refused.headers.get("x-request-id") ?? "";
  expect(id).toBeTruthy();
  // Recorded as any refusal is, the caller unknown: the key was never checked.
  const row = await recordOf(at.finished, refused);
  expect([row.status, row.keyId]).toEqual([429, null]);
  const line = await waitForValue(`the access line of ${id}`, () =>
    written.map((text) => JSON.parse(text) as Record<string, unknown>).find((l) => l.request_id === id),
  );
  expect(line).toMatchObject({ level: "warn", msg: "request", status: 429, error: "rate_limited" });
  expect(String(line?.reason)).toContain("sign-in");
  const all = written.join("");
  expect(all).not.toContain(at.adminKey);
  expect(all).not.toContain("mgw_guess-");
  // Another address signs in as before.
  expect((await login("198.51.100.50", at.adminKey)).status).toBe(200);
});
