import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import OpenAI from "openai";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
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
const f = gatewayFixture({ dir: dir.path, env: { MINDGW_HEAP_STATS: statsFile } });

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
const idle = () =>
  waitFor("the gateway to have nothing in flight", async () => {
    const text = await (
      await fetch(f.url("/metrics"), { headers: { authorization: `Bearer ${f.adminKey}` } })
    ).text();
    // The /metrics request itself is in flight.
    return gauge(text, "mindgw_requests_in_flight") === 1 && gauge(text, "mindgw_streams_in_flight") === 0;
  });
const snapshot = async (): Promise<HeapLine> => {
  await idle();
  const before = lines().length;
  f.gw.proc.kill("SIGUSR2");
  return waitFor("the heap statistics line", () => lines()[before], 20_000);
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
