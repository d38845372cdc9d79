import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { keyRecord } from "../testing/key-record.ts";
import { type KeyEndReason, KeySessions } from "./key-sessions.ts";
import { principalFromKey } from "./principal.ts";

const record = (over: Partial<KeyRecord> = {}): KeyRecord =>
  keyRecord({ hash: "h", prefix: "mgw_x", last4: "abcd", name: "alice", ...over });

/** A clock and timers the test moves by hand. */
function manualTime() {
  let now = 1_000;
  const timers: { at: number; run: () => void; live: boolean }[] = [];
  return {
    now: () => now,
    setTimer(run: () => void, ms: number) {
      const timer = { at: now + ms, run, live: true };
      timers.push(timer);
      return { cancel: () => (timer.live = false) };
    },
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.live && t.at <= now)) {
        timer.live = false;
        timer.run();
      }
    },
  };
}

describe("KeySessions", () => {
  test("a revoke ends every session held under the key, once, and no other key's", () => {
    const sessions = new KeySessions();
    const ended: string[] = [];
    sessions.hold("key_1", (reason) => ended.push(`a:${reason}`));
    sessions.hold("key_1", (reason) => ended.push(`b:${reason}`));
    sessions.hold("key_2", (reason) => ended.push(`c:${reason}`));
    sessions.keyChanged(record({ revokedAt: 5 }));
    sessions.keyChanged(record({ revokedAt: 5 }));
    expect(ended.sort()).toEqual(["a:revoked", "b:revoked"]);
    expect(sessions.count("key_1")).toBe(0);
    expect(sessions.count("key_2")).toBe(1);
  });

  test("a JWT's sessions (no key id) each end at their own token's expiry, unless released first", () => {
    const time = manualTime();
    const sessions = new KeySessions(time);
    const ended: string[] = [];
    sessions.hold(null, (reason) => ended.push(`worker:${reason}`), 6_000);
    const released = sessions.hold(null, (reason) => ended.push(`released:${reason}`), 6_000);
    const jwt = { ...principalFromKey(record()), keyId: null, via: "jwt" as const, expiresAt: 9_000 };
    sessions.watch(jwt, (error: GatewayError) => ended.push(`stream:${error.status} ${error.message}`));
    sessions.hold(null, () => ended.push("never"));
    released();
    time.advance(4_999);
    expect(ended).toEqual([]);
    time.advance(1);
    expect(ended).toEqual(["worker:expired"]);
    time.advance(3_000);
    // A stream says the token expired: the caller signed in with no API key.
    expect(ended).toEqual(["worker:expired", "stream:401 the token expired during the request"]);
    // One already expired when it is held ends at once.
    sessions.hold(null, (reason) => ended.push(`late:${reason}`), time.now() - 1);
    expect(ended.at(-1)).toBe("late:expired");
  });

  test("a change of the key that does not end it tells its sessions that serve by its models the models now", () => {
    const sessions = new KeySessions();
    const told: string[] = [];
    const ended: string[] = [];
    // A worker connection that the new list permits nothing ends itself, and leaves, while told.
    const leaving = {
      keyEnded: (reason: KeyEndReason) => ended.push(`leaving:${reason}`),
      keyModels(models: readonly string[]) {
        told.push(`leaving:${models.join(",")}`);
        sessions.leave("key_1", leaving);
      },
    };
    const staying = {
      keyEnded: (reason: KeyEndReason) => ended.push(`staying:${reason}`),
      keyModels: (models: readonly string[]) => told.push(`staying:${models.join(",")}`),
    };
    sessions.enter("key_1", leaving);
    sessions.enter("key_1", staying);
    // A request's session has no use for them.
    sessions.hold("key_1", (reason) => ended.push(`request:${reason}`));
    sessions.enter("key_2", { keyEnded() {}, keyModels: (models) => told.push(`other:${models.join(",")}`) });
    sessions.keyChanged(record({ models: ["llama"] }));
    expect(told.sort()).toEqual(["leaving:llama", "staying:llama"]);
    expect(sessions.count("key_1")).toBe(2);
    // A revoke ends them instead: nothing is told of models.
    sessions.keyChanged(record({ models: ["llama", "qwen"], revokedAt: 5 }));
    expect(told).toHaveLength(2);
    expect(ended.sort()).toEqual(["request:revoked", "staying:revoked"]);
  });

  test("a key's models as its last change told them, for a worker connection held after the change (admitted before it)", () => {
    const sessions = new KeySessions();
    expect(sessions.changedModels("key_1")).toBeUndefined();
    sessions.keyChanged(record({ models: ["llama"] }));
    sessions.keyChanged(record({ models: ["llama", "qwen"] }));
    expect(sessions.changedModels("key_1")).toEqual(["llama", "qwen"]);
    // Held by nothing once revoked: no connection of that key is admitted again.
    sessions.keyChanged(record({ revokedAt: 5 }));
    expect(sessions.changedModels("key_1")).toBeUndefined();
  });

  test("a released session is not ended", () => {
    const sessions = new KeySessions();
    const ended: KeyEndReason[] = [];
    const release = sessions.hold("key_1", (reason) => ended.push(reason));
    release();
    sessions.keyChanged(record({ revokedAt: 5 }));
    expect(ended).toEqual([]);
  });

  test("sessions that come and go under a key (one alone, then several, then one again) are each ended once while held, never after release", () => {
    const time = manualTime();
    const sessions = new KeySessions(time);
    const ended: string[] = [];
    const session = (name: string) => ({
      keyEnded: (reason: KeyEndReason) => ended.push(`${name}:${reason}`),
    });
    const a = session("a");
    const b = session("b");
    const c = session("c");
    sessions.enter("key_1", a);
    sessions.enter("key_1", a);
    expect(sessions.count("key_1")).toBe(1);
    sessions.leave("key_1", b);
    expect(sessions.count("key_1")).toBe(1);
    sessions.enter("key_1", b);
    sessions.leave("key_1", a);
    sessions.enter("key_1", c, time.now() + 1_000);
    expect(sessions.count("key_1")).toBe(2);
    sessions.leave("key_1", c);
    expect(sessions.count("key_1")).toBe(1);
    sessions.leave("key_1", b);
    expect(sessions.count("key_1")).toBe(0);
    // Released before its key expired: the expiry scheduled while it was held ends nothing.
    time.advance(1_000);
    sessions.keyChanged(record({ revokedAt: 5 }));
    expect(ended).toEqual([]);
    // One alone, with its key's expiry: ended once by it, not again by a revoke after.
    sessions.enter("key_1", a, time.now() + 1_000);
    time.advance(1_000);
    sessions.keyChanged(record({ revokedAt: 5 }));
    expect(ended).toEqual(["a:expired"]);
  });

  test("the end of a rotation's grace window ends the old key's sessions when it passes", () => {
    const time = manualTime();
    const sessions = new KeySessions(time);
    const ended: KeyEndReason[] = [];
    sessions.hold("key_1", (reason) => ended.push(reason));
    sessions.keyChanged(record({ expiresAt: time.now() + 60_000 }));
    time.advance(59_999);
    expect(ended).toEqual([]);
    time.advance(1);
    expect(ended).toEqual(["expired"]);
  });

  test("an expiry moved later or lifted (a limits change) no longer ends the key's sessions at the old time", () => {
    const time = manualTime();
    const sessions = new KeySessions(time);
    const ended: KeyEndReason[] = [];
    sessions.watch(principalFromKey(record({ expiresAt: time.now() + 1_000 })), (reason) =>
      ended.push(reason.message as KeyEndReason),
    );
    sessions.keyChanged(record({ expiresAt: time.now() + 5_000 }));
    time.advance(1_000);
    sessions.keyChanged(record({ expiresAt: null }));
    time.advance(10_000);
    expect(ended).toEqual([]);
    expect(sessions.count("key_1")).toBe(1);
  });

  test("a session opened during the grace window ends at the key's expiry", () => {
    const time = manualTime();
    const sessions = new KeySessions(time);
    const principal = principalFromKey(record({ expiresAt: time.now() + 1_000 }));
    const reasons: GatewayError[] = [];
    sessions.watch(principal, (reason) => reasons.push(reason));
    time.advance(1_000);
    expect(reasons.map((reason) => [reason.status, reason.message])).toEqual([
      [
        401,
        "the API key expired during the request (its expiry passed, or the grace after a rotation ended)",
      ],
    ]);
  });

  test("what a web UI session opened ends at the session's expiry, at its sign-out and with its key, never the key's other callers with it", () => {
    const time = manualTime();
    const sessions = new KeySessions(time);
    const ended: string[] = [];
    const key = principalFromKey(record({ id: "key_1" }));
    const session = (sessionId: string, ttl: number) => ({
      ...key,
      via: "session" as const,
      sessionId,
      expiresAt: time.now() + ttl,
    });
    sessions.holdFor(key, (reason) => ended.push(`cli:${reason}`));
    sessions.holdFor(session("s1", 5_000), (reason) => ended.push(`s1:${reason}`));
    sessions.holdFor(session("s2", 60_000), (reason) => ended.push(`s2:${reason}`));
    const released = sessions.holdFor(session("s2", 60_000), (reason) => ended.push(`s2-gone:${reason}`));
    released();
    expect(sessions.openWebSessions().sort()).toEqual(["s1", "s2"]);
    time.advance(5_000);
    expect(ended).toEqual(["s1:session expired"]); // the key's own callers and s2 go on
    sessions.endWebSession("s2"); // signed out
    expect(ended).toEqual(["s1:session expired", "s2:session ended"]);
    expect(sessions.openWebSessions()).toEqual([]);

    sessions.holdFor(session("s3", 60_000), (reason) => ended.push(`s3:${reason}`));
    sessions.keyChanged(record({ id: "key_1", revokedAt: 5 }));
    expect(ended.slice(2).sort()).toEqual(["cli:revoked", "s3:revoked"]);

    // A single sign-on session has no key: its session alone ends what it opened.
    const sso = { ...session("s4", 60_000), keyId: null };
    sessions.holdFor(sso, (reason) => ended.push(`s4:${reason}`));
    sessions.endWebSession("s4");
    expect(ended.at(-1)).toBe("s4:session ended");
  });

  test("a request of a web UI session that signs out ends with a 401 saying the session ended, not that the key was revoked", () => {
    const sessions = new KeySessions(manualTime());
    const principal = { ...principalFromKey(record()), via: "session" as const, sessionId: "s1" };
    const reasons: GatewayError[] = [];
    sessions.watch(principal, (reason) => reasons.push(reason));
    sessions.endWebSession("s1");
    expect(reasons.map((reason) => [reason.status, reason.message])).toEqual([
      [401, "the web UI session ended during the request"],
    ]);
    expect(sessions.openWebSessions()).toEqual([]);
    expect(sessions.count("key_1")).toBe(0);
  });

  test("a JWT caller has nothing to track: no session is held", () => {
    const sessions = new KeySessions();
    const principal = { ...principalFromKey(record()), keyId: null, via: "jwt" as const };
    const release = sessions.watch(principal, () => {
      throw new Error("a JWT caller's request is never ended by a key change");
    });
    expect(sessions.count("key_1")).toBe(0);
    release();
  });

  test("requests of keys that each had only them open are not kept alive by young collections (a Map kept them)", async () => {
    const sessions = new KeySessions();
    // Each request its key's only one, as for clients one request at a time: the key enters the
    // table with it and leaves with it.
    const kept = await keptAfterChurn(
      (i) => ({ keyId: `key_${i}`, keyEnded() {} }),
      (session) => {
        sessions.enter(session.keyId, session, Date.now() + 60_000);
        return session;
      },
      (session) => sessions.leave(session.keyId, session),
    );
    // The Maps kept 321 of 500.
    expect(kept).toBeLessThan(50);
    expect(sessions.count("key_1")).toBe(0);
    sessions.close();
  });

  test("a busy key's requests that left are not kept alive by young collections (its Set kept them)", async () => {
    const sessions = new KeySessions();
    // One request open throughout: the key's list of sessions lives long, as under steady traffic.
    const anchor = { keyEnded() {} };
    sessions.enter("key_1", anchor);
    const kept = await keptAfterChurn(
      () => ({ keyEnded() {} }),
      (session) => {
        sessions.enter("key_1", session);
        return session;
      },
      (session) => sessions.leave("key_1", session),
    );
    // With a Set it was a third of them (175 of 500).
    expect(kept).toBeLessThan(50);
    expect(sessions.count("key_1")).toBe(1);
    sessions.leave("key_1", anchor);
  });
});
