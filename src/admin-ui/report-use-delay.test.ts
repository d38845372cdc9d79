import { expect, test } from "bun:test";
import type { Principal } from "../auth/principal.ts";
import { sessionOf } from "../http/admin-ui/session-auth.ts";
import { SessionStore } from "../http/admin-ui/session-store.ts";
import { fakeClock } from "../testing/fake-clock.ts";
import { reportUseDelay } from "./report-use-delay.ts";

// Use of the console that sends no call (a request's detail read) is reported on its own (api.ts
// noteUse). The gateway stores last use at most once a minute, so its stored use can be up to a
// minute older than the page's last marked call: the report must reach it before the session's idle
// end counted from the stored use, at the 2 min timeout (the least) too.

const admin: Principal = {
  keyId: "key_admin",
  name: "ops",
  role: "admin",
  tenant: "default",
  models: [],
  limits: {},
  via: "session",
};
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** A report reaches the gateway this long after the page's timer fires (its trip, a timer late). */
const LATE = 100;

/**
 * A page signed in at 0 on a gateway whose `session_idle_timeout` is 2 min, run as api.ts runs it:
 * a call carries use made since the last; use that sends none is reported `reportUseDelay` after it
 * (as `/admin/auth/session` with the mark, which the real `sessionOf` records through the real store).
 */
async function signedInPage() {
  const clock = fakeClock(0);
  const sessions = new SessionStore({ ttlMs: () => 60 * MINUTE, idleMs: () => 2 * MINUTE, now: clock.now });
  const options = { sessions, enabled: () => true, ssoAllowed: () => false };
  const session = await sessions.create(admin, "key");
  const headers = new Headers({
    cookie: `mindgw_session=${session.id}`,
    "x-csrf-token": session.csrf,
    "x-user-activity": "1",
  });
  let lastMarkedAt = clock.now(); // the page's first load, at sign-in
  let reportDue: number | undefined;
  const answers: string[] = [];
  const marked = async () => {
    const answer = await sessionOf(headers, options);
    answers.push(typeof answer === "object" ? "open" : String(answer));
  };
  const page = {
    clock,
    answers,
    /** A call that carries the use made since the last (a click that loads something). */
    async call() {
      lastMarkedAt = clock.now();
      await marked();
    },
    /** Use that sends no call: reported unless a report is already pending. */
    use() {
      reportDue ??= clock.now() + reportUseDelay(lastMarkedAt, clock.now());
    },
    /** Time passes until `at`; a report falling due meanwhile reaches the gateway `LATE` after. */
    async until(at: number) {
      if (reportDue !== undefined && reportDue + LATE <= at) {
        lastMarkedAt = reportDue;
        clock.advance(reportDue + LATE - clock.now());
        reportDue = undefined;
        await marked();
      }
      clock.advance(at - clock.now());
    },
    /** Whether the gateway still holds the session open now (asking is no use). */
    open: async () => (await sessions.find(session.id)) !== "idle",
    reportsPending: () => reportDue !== undefined,
  };
  return page;
}

test("a marked call at 59.95 s (not stored: within the store's minute), details read at 60 s and 90 s: the report is in time", async () => {
  const page = await signedInPage();
  await page.until(59_950);
  await page.call();
  await page.until(60 * SECOND);
  page.use();
  await page.until(90 * SECOND);
  page.use();
  await page.until(150 * SECOND);
  expect(page.answers).toEqual(["open", "open"]);
  expect(await page.open()).toBe(true);
});

test("use after a quiet minute, just before the idle end the stored use sets: reported at once, in time", async () => {
  const page = await signedInPage();
  await page.until(59_950);
  await page.call(); // not stored: the session's idle end stays 120 s
  await page.until(117_450);
  page.use();
  await page.until(130 * SECOND);
  expect(page.answers).toEqual(["open", "open"]);
  expect(await page.open()).toBe(true);
});

test("an admin reading for half an hour with no call stays signed in, reported every 30 s at most; once gone, signed out", async () => {
  const page = await signedInPage();
  for (let at = 5 * SECOND; at <= 30 * MINUTE; at += 7 * SECOND) {
    await page.until(at);
    page.use();
  }
  await page.until(30 * MINUTE + 45 * SECOND);
  expect(page.answers.every((answer) => answer === "open")).toBe(true);
  expect(page.answers.length).toBeLessThanOrEqual(61);
  expect(page.reportsPending()).toBe(false);
  await page.until(33 * MINUTE);
  expect(await page.open()).toBe(false);
});

test("never marked (no call since the page opened): reported 3 s after the use", () => {
  expect(reportUseDelay(Number.NEGATIVE_INFINITY, 1_000)).toBe(3_000);
});
