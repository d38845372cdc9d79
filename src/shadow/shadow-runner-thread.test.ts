import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { JsonObject } from "../core/dialect.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { Route } from "../routing/route.ts";
import type { Dispatched, DispatchRequest } from "../routing/router.ts";
import { receivedAs } from "../routing/router-test-kit.ts";
import { finishedRecord, mirrored, requestOf, route, runner } from "../testing/shadow-runner-kit.ts";
import { waitFor } from "../testing/wait-for.ts";

// The runner's copies through the shadow thread (src/testing/shadow-runner-kit.ts, split from
// shadow-runner.test.ts): each cut off by its own timeout, a stop cutting off those in flight,
// every pair recorded either way.

describe("through the shadow thread", () => {
  let fake: FakeUpstream;
  beforeAll(async () => {
    fake = await startFakeUpstream();
  });
  afterAll(() => fake.stop());

  /** A real openai provider whose upstream never answers: the copy goes from the shadow thread. */
  const hangingUpstream = (): Route => ({
    ...route,
    provider: createOpenAICompatibleProvider({
      name: "hanger",
      baseUrl: `${fake.url}/v1`,
      headers: { "x-fake-hang": "1" },
    }),
    label: "provider:hanger",
  });

  /** A real openai provider on the fake: it answers a copy as it answers the client. */
  const twinUpstream = (): Route => ({
    ...route,
    provider: createOpenAICompatibleProvider({ name: "twin", baseUrl: `${fake.url}/v1` }),
    label: "provider:twin",
  });

  for (const thread of ["off", "all", "owned"] as const)
    test(`a long stream answered alike by both is compared whole: exact, similarity 1, both finished (thread ${thread})`, async () => {
      // 9,000 deltas: over a megabyte of events, far past what was kept of the primary's stream.
      const body: JsonObject = {
        model: "m",
        stream: true,
        messages: [{ role: "user", content: "long answer [[fake:chunks=9000]]" }],
      };
      const streamed = await fetch(`${fake.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const wire = new Uint8Array(await streamed.arrayBuffer());
      expect(wire.byteLength).toBeGreaterThan(1024 * 1024);
      const pieces: Uint8Array[] = [];
      for (let at = 0; at < wire.byteLength; at += 16 * 1024) pieces.push(wire.subarray(at, at + 16 * 1024));
      const owned = thread === "owned";
      const { shadow, stored } = runner(60_000, owned ? "all" : thread, undefined, undefined, owned);
      const request: DispatchRequest = {
        ...requestOf(`req_long_${thread}`),
        body,
        stream: true,
        received: receivedAs(body),
      };
      const primary: Dispatched = {
        reply: {
          kind: "stream",
          chunks: { reported: undefined, next: async () => pieces.shift(), cancel() {} },
        },
        route: "provider:fake",
        upstreamModel: "m",
        attempts: 1,
        dropped: [],
        usage: () => ({ inputTokens: 1, outputTokens: 9000 }),
        answeredModel: () => undefined,
      };
      const watched = shadow.hook({ route: twinUpstream(), sample: 1 }, request, primary);
      if (watched.reply.kind !== "stream") throw new Error("a stream reply expected");
      // The client reads its stream to the end, then the request's record is in.
      while (await watched.reply.chunks.next());
      shadow.finished({ ...finishedRecord(request.requestId), stream: true }, request.serial);
      await waitFor("the long stream's pair", () => stored.length > 0, 20_000);
      await shadow.close();
      expect(stored[0]?.shadow.status).toBe(200);
      expect([stored[0]?.primary.finish, stored[0]?.shadow.finish]).toEqual(["stop", "stop"]);
      expect(stored[0]?.agreement).toMatchObject({ exact: true, similarity: 1, finishAgrees: true });
    });

  test("a copy that hangs in the thread is cut off by its own timeout and recorded as a 504", async () => {
    const { shadow, stored } = runner(50, "all");
    mirrored(shadow, "req_thread_timeout", hangingUpstream());
    await waitFor("the pair of the timed-out copy", () => stored.length > 0);
    expect(stored[0]?.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout" });
    expect(shadow.inFlight()).toBe(0);
    await shadow.close();
  });

  for (const thread of ["off", "all"] as const)
    test(`a shadow.timeout of 30 days (past setTimeout's range) lets a copy that takes 100 ms answer (thread ${thread})`, async () => {
      // Bun fires a timer of over 2^31 - 1 ms after 1 ms: the copy was cut off as timed out at once.
      const { shadow, stored } = runner(30 * 24 * 3_600_000, thread);
      const body: JsonObject = {
        model: "m",
        messages: [{ role: "user", content: "slow [[fake:delay=100]]" }],
      };
      const request: DispatchRequest = {
        ...requestOf(`req_month_${thread}`),
        body,
        received: receivedAs(body),
      };
      mirrored(shadow, request.requestId, twinUpstream(), request);
      await waitFor("the pair of the slow copy", () => stored.length > 0);
      await shadow.close();
      expect(stored[0]?.shadow).toMatchObject({ status: 200 });
    });

  test("a stop cuts off the copies in the thread and records them before it resolves", async () => {
    fake.reset();
    const { shadow, stored } = runner(60_000, "all");
    const upstream = hangingUpstream();
    mirrored(shadow, "req_thread_a", upstream);
    mirrored(shadow, "req_thread_b", upstream);
    await waitFor("both copies to reach the upstream from the thread", () => fake.requests.length === 2);
    await shadow.close();
    expect(shadow.inFlight()).toBe(0);
    expect(stored.map((record) => record.requestId).sort()).toEqual(["req_thread_a", "req_thread_b"]);
    for (const record of stored)
      expect(record.shadow).toMatchObject({ status: 503, errorClass: "unavailable" });
  });
});
