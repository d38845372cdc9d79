import { describe, expect, test } from "bun:test";
import { freshIdWord } from "../core/fresh-id-word.ts";
import { freshRequestId, givenRequestId, requestIdOf } from "./request-id.ts";

describe("request ids", () => {
  test("a fresh id is req_ and a UUIDv7 in hex: the time, the version, the variant", () => {
    const now = Date.now();
    const id = freshRequestId(now);
    expect(id).toMatch(/^req_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(Number.parseInt(id.slice(4, 16), 16)).toBe(now);
  });

  test("ids are time-ordered across milliseconds, and distinct within one", () => {
    const earlier = freshRequestId(1_700_000_000_000);
    const later = freshRequestId(1_700_000_000_001);
    expect(earlier < later).toBe(true);
    // Across several refills of the random pool.
    const ids = new Set(Array.from({ length: 2000 }, () => freshRequestId(1_700_000_000_000)));
    expect(ids.size).toBe(2000);
    // Each is a string of its own, not a view of the buffer it was written in.
    const first = freshRequestId(0);
    freshRequestId(0);
    expect(first).toMatch(/^req_0000000000007/);
    expect(first).not.toBe(freshRequestId(0));
  });

  test("the caller's id is kept when it is safe to echo, replaced when not", () => {
    expect(requestIdOf(new Headers({ "x-request-id": "abc-123" }))).toBe("abc-123");
    expect(requestIdOf(new Headers({ "x-request-id": "bad id\n" }))).toMatch(/^req_[0-9a-f]{32}$/);
    expect(requestIdOf(new Headers())).toMatch(/^req_[0-9a-f]{32}$/);
    expect(givenRequestId(new Headers({ "x-request-id": "abc-123" }))).toBe("abc-123");
    expect(givenRequestId(new Headers({ "x-request-id": "bad id\n" }))).toBeUndefined();
    expect(givenRequestId(new Headers())).toBeUndefined();
  });

  test("a caller's id that holds a credential is never taken: a key, a JWT, an upstream key", () => {
    const given = (id: string) => givenRequestId(new Headers({ "x-request-id": id }));
    expect(given("mgw_t6KO5GlPOwqfFYAe1DdvegntLaleK7PQ6HTJ4n6kX3t")).toBeUndefined();
    expect(given("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")).toBeUndefined();
    expect(given("sk-proj-abcdefghijklmnopqrstuvwxyz012345")).toBeUndefined();
    // Words a shape's start is part of are no credential.
    expect(given("task-sk-7")).toBe("task-sk-7");
    expect(given("mgw_trace_1")).toBe("mgw_trace_1");
  });

  test("a fresh id's words are the 128 bits its hex digits spell", () => {
    for (const id of [freshRequestId(), freshRequestId(0), freshRequestId(2 ** 48 - 1)])
      for (let w = 0; w < 4; w++)
        expect(freshIdWord(id, w)).toBe(Number.parseInt(id.slice(4 + w * 8, 12 + w * 8), 16));
  });
});
