import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { allAuditRows } from "./harness/audit-kit.ts";
import { fakeRoutesConfig } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { gatewayIdle } from "./harness/gateway-idle.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// Issue 12 (soak): requests that have ended leave nothing behind in the JS heap. The compiled
// gateway writes its heap statistics after a full GC on SIGUSR2 (MINDGW_HEAP_STATS, a debugging
// aid that is off by default); live objects are counted after a warm-up and again after many
// more requests (streams finished, streams the client abandoned, whole answers). A per-request
// retention (a listener left on a long-lived signal, a map entry never pruned, a closure kept
// by a timer) shows up as at least one object per request. It has happened before: composite
// AbortSignals kept every request alive (see src/http/request-abort.ts).

const dir = tempDir();
const statsFile = `${dir.path}/heap-stats.jsonl`;
// `renamed-model` goes to the fake as `fake-model`: its body is sent on with the model rewritten.
// `translated-model` goes to the fake's Anthropic side: its body is translated to a Messages call.
const MODELS = [
  { name: "fake-model", routes: [{ provider: "fake", model: "fake-model" }] },
  { name: "renamed-model", routes: [{ provider: "fake", model: "fake-model" }] },
  { name: "translated-model", routes: [{ provider: "claude", model: "claude-up" }] },
];
/** The fake routes, the fake's Anthropic side as a provider too, and `extra` on top. */
const config = (fakeUrl: string, extra: object = {}) => {
  const routes = fakeRoutesConfig(fakeUrl, [], { models: MODELS, ...extra }) as { providers: object[] };
  return {
    ...routes,
    providers: [...routes.providers, { name: "claude", type: "anthropic", base_url: fakeUrl }],
  };
};
const f = gatewayFixture({
  dir: dir.path,
  env: { MINDGW_HEAP_STATS: statsFile },
  fakeRoutes: false,
  config: (fakeUrl) => config(fakeUrl),
});

interface HeapLine {
  objectCount: number;
  heapSize: number;
  objectTypeCounts: Record<string, number>;
}
const lines = (): HeapLine[] => {
  try {
    return readFileSync(statsFile, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HeapLine);
  } catch {
    return [];
  }
};
const gauge = (text: string, name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
/** Abandoned streams end in the gateway a little after the client leaves: wait until idle. */
const idle = () => gatewayIdle(f.gw.url, f.adminKey);
/** A heap statistics line written now, after a full collection, whatever is in flight. */
const heapLine = (): Promise<HeapLine> => {
  const before = lines().length;
  f.gw.proc.kill("SIGUSR2");
  return waitFor("the heap statistics line", () => lines()[before], 20_000);
};
const snapshot = async (): Promise<HeapLine> => {
  await idle();
  return heapLine();
};

/** `n` requests over 8 concurrent loops, so requests overlap as they do in service. */
const traffic = (client: OpenAI, n: number) =>
  Promise.all(Array.from({ length: 8 }, (_, loop) => trafficLoop(client, loop, n)));

async function trafficLoop(client: OpenAI, loop: number, n: number): Promise<void> {
  for (let i = loop; i < n; i += 8) {
    const content = `retention ${i} [[fake:chunks=5]]`;
    if (i % 3 === 0) {
      const answer = await client.chat.completions.create({
        model: "fake-model",
        messages: [{ role: "user", content }],
      });
      expect(answer.choices.length).toBe(1);
      continue;
    }
    const abort = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "fake-model", stream: true, messages: [{ role: "user", content }] },
      { signal: abort.signal },
    );
    let chunks = 0;
    try {
      for await (const _ of stream) {
        // Half the streams are abandoned by the client after their first chunk.
        if (++chunks === 1 && i % 3 === 2) abort.abort();
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
    expect(chunks).toBeGreaterThan(0);
  }
}

test("requests that ended leave no live objects behind", async () => {
  const client = new OpenAI({ baseURL: f.url("/v1"), apiKey: f.adminKey, maxRetries: 0 });
  await traffic(client, 300);
  const warm = await snapshot();
  const requests = 1200;
  await traffic(client, requests);
  const after = await snapshot();
  await traffic(client, requests);
  const later = await snapshot();
  // Code the JIT compiles, and caches filling once (a clean CI run saw 616 objects in all, and
  // once 372 strings), add a few hundred objects in one round of traffic; a retention adds one
  // object per request in every round. So a type counts as grown only when it grew by a quarter
  // of the requests in both rounds, and all objects together must not grow by a request's worth
  // in both.
  const growth = (from: HeapLine, to: HeapLine, type: string) =>
    (to.objectTypeCounts[type] ?? 0) - (from.objectTypeCounts[type] ?? 0);
  const grown = Object.keys(later.objectTypeCounts)
    .map((type) => [type, growth(warm, after, type), growth(after, later, type)] as const)
    .filter(([, first, second]) => first >= requests / 4 && second >= requests / 4);
  expect(grown).toEqual([]);
  const total = [after.objectCount - warm.objectCount, later.objectCount - after.objectCount];
  expect(Math.min(...total)).toBeLessThan(requests);
}, 120_000);

// Issue 9 (a5): how many copies of its body a request in flight holds. A request for an image
// is its body several times over while it is read and sent on (the bytes received, the parsed
// body, the body as the upstream gets it): what each holds live, after a full collection, is
// counted here as the heap's growth per request over an idle gateway, in units of the body.
// A stream that relays its answer holds the parsed body alone (usage is estimated from it); a
// request whose upstream has not answered yet, up to three (docs/DEPLOYMENT.md, "Memory").
describe("copies of a large body held while its request is in flight", () => {
  const IN_FLIGHT = 4;
  /** ~4 MB of JSON: an image as a data URL, different in each request. */
  const imageBody = (i: number, stream: boolean, model = "fake-model") =>
    JSON.stringify({
      model,
      stream,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is in this picture?" },
            {
              type: "image_url",
              image_url: { url: `data:image/png;base64,${Buffer.alloc(3 << 20, i).toString("base64")}` },
            },
          ],
        },
      ],
    });
  const post = (body: string, signal: AbortSignal) =>
    fetch(f.url("/v1/chat/completions"), {
      method: "POST",
      headers: { authorization: `Bearer ${f.adminKey}`, "content-type": "application/json" },
      body,
      signal,
    });
  const inFlight = async () => {
    const text = await (
      await fetch(f.url("/metrics"), { headers: { authorization: `Bearer ${f.adminKey}` } })
    ).text();
    return {
      requests: gauge(text, "mindgw_requests_in_flight") - 1,
      streams: gauge(text, "mindgw_streams_in_flight"),
    };
  };
  /** The heap's growth from `idle` per request in flight, in copies of a body of `bodyLength`. */
  const copiesHeld = (idle: HeapLine, busy: HeapLine, bodyLength: number) =>
    (busy.heapSize - idle.heapSize) / (IN_FLIGHT * bodyLength);

  /** The heap's growth per request, in copies of its body, while `IN_FLIGHT` wait on their upstream. */
  async function copiesWhileWaiting(model: string, seed: number): Promise<number> {
    const idle = await snapshot();
    f.fake.enqueue(...Array.from({ length: IN_FLIGHT }, () => ({ hang: true })));
    const waiting = new AbortController();
    const bodies = Array.from({ length: IN_FLIGHT }, (_, i) => imageBody(seed + i, false, model));
    const calls = bodies.map((body) => post(body, waiting.signal).catch(() => undefined));
    await f.fake.waitForRequest(IN_FLIGHT);
    const asked = await heapLine();
    expect(await inFlight()).toEqual({ requests: IN_FLIGHT, streams: 0 });
    waiting.abort();
    await Promise.all(calls);
    f.fake.reset();
    return copiesHeld(idle, asked, bodies[0]?.length ?? 0);
  }

  test("a stream relaying its answer holds its body once; a request waiting on its upstream, at most three times", async () => {
    const leave = new AbortController();
    // Warm-up: one large stream through, so that what a first request loads is in the idle line.
    f.fake.enqueue({ chunks: 3 });
    expect((await (await post(imageBody(99, true), leave.signal)).text()).length).toBeGreaterThan(0);
    f.fake.reset();
    const idle = await snapshot();

    // Streams committed to their clients, each with its first chunk read; the upstream goes on.
    f.fake.enqueue(...Array.from({ length: IN_FLIGHT }, () => ({ chunks: 1000, chunkDelay: 100 })));
    const streams = Array.from({ length: IN_FLIGHT }, (_, i) => imageBody(i, true));
    const readers = await Promise.all(
      streams.map(async (body) => {
        const response = await post(body, leave.signal);
        expect(response.status).toBe(200);
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        await reader.read();
        return reader;
      }),
    );
    const streaming = await heapLine();
    // The line is of these streams in flight, not of their ends.
    expect(await inFlight()).toEqual({ requests: IN_FLIGHT, streams: IN_FLIGHT });
    leave.abort();
    await Promise.allSettled(readers.map((reader) => reader.cancel()));

    f.fake.reset();
    // Once, the parsed body. It was twice: the copy spliced for the upstream (the stream's usage
    // asked for) stayed with the stream as long as it ran.
    expect(copiesHeld(idle, streaming, streams[0]?.length ?? 0)).toBeLessThan(1.5);
    // Whole answers the upstream has not begun. The bytes received (a failover sends them again),
    // the parsed body, and the upstream's copy where it differs from the bytes (a model renamed),
    // kept for a stale connection's resend: here the bytes themselves, so two.
    expect(await copiesWhileWaiting("fake-model", 10)).toBeLessThan(3.5);
  }, 120_000);

  /** Runs `check` with `audit.bodies` on, by a config reload, and turns them off again after. */
  async function withBodiesAudited(check: () => Promise<void>): Promise<void> {
    const reloads = () => f.gw.stderr.all.split("config reloaded").length;
    const before = reloads();
    await f.gw.writeConfig(config(f.fake.url, { audit: { bodies: true } }));
    await waitFor("audit.bodies on", () => reloads() > before);
    try {
      await check();
    } finally {
      await f.gw.writeConfig(config(f.fake.url));
      await waitFor("audit.bodies off again", () => reloads() > before + 1);
    }
  }

  test("with audit.bodies on, a request waiting on its upstream holds no copy of its body for the audit row", async () => {
    // The row's text is made from the bytes as the row is built; held as a string from the
    // body's read, it was a third copy beside the bytes and the parsed body.
    await withBodiesAudited(async () => {
      // The bytes received and the parsed body, as with bodies off.
      expect(await copiesWhileWaiting("fake-model", 30)).toBeLessThan(2.5);
    });
  }, 120_000);

  test("with audit.bodies on, a request whose route renames the model holds the renamed bytes and the parsed body; its row is the body as sent", async () => {
    await withBodiesAudited(async () => {
      // The row is made from the renamed bytes, the model written back as it came: the received
      // bytes, kept beside them for the row, were a third copy.
      expect(await copiesWhileWaiting("renamed-model", 50)).toBeLessThan(2.5);
      // Spaced as a client may write it, a stream (its usage option forced in for the upstream).
      const sent = JSON.stringify(
        { model: "renamed-model", stream: true, messages: [{ role: "user", content: "as sent" }] },
        null,
        1,
      );
      const response = await fetch(f.url("/v1/chat/completions"), {
        method: "POST",
        headers: { authorization: `Bearer ${f.adminKey}`, "content-type": "application/json" },
        body: sent,
      });
      expect(await response.text()).toContain("[DONE]");
      expect(f.fake.requests.at(-1)?.body).toMatchObject({
        model: "fake-model",
        stream_options: { include_usage: true },
      });
      const id = response.headers.get("x-request-id") ?? "";
      const row = await waitFor("the renamed request's row", async () =>
        (await allAuditRows(f.gw, "bodies=true")).find((record) => record.requestId === id),
      );
      expect(row.requestBody).toBe(sent);
    });
  }, 120_000);

  test("a request whose route renames the model holds the bytes sent upstream, not the received ones beside them", async () => {
    // The parsed body and the renamed bytes (a failover splices the next route's from them); the
    // received bytes were a third copy.
    expect(await copiesWhileWaiting("renamed-model", 20)).toBeLessThan(2.5);
  }, 120_000);

  test("a request whose route translates it holds the body sent upstream and the parsed body, not the received bytes beside them", async () => {
    // The parsed body (the next route is adapted from it) and the translated body's bytes, which
    // the upstream is sent (and sent again on a stale connection); nothing needs the received
    // bytes while no route left is of the caller's dialect, and they were a third copy.
    expect(await copiesWhileWaiting("translated-model", 40)).toBeLessThan(2.5);
  }, 120_000);
});
