import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import { waitFor } from "../testing/wait-for.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import { ask, chat, copySpans, encode, mirrored, runner, twin as twinAt } from "./shadow-owned-fixture.ts";

// A pair handed to the shadow thread whole (sent, timed out, compared, priced and recorded
// there) is recorded exactly as the event loop records it; its timeout, the stop and the cap
// behave as on the event loop. The thread client itself: shadow-thread-client.test.ts.

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeUpstream();
});
afterAll(() => fake.stop());

const twin = (headers: Record<string, string> = {}) => twinAt(fake.url, headers);

const primaryText = "Sure: the key is sk-abcdefghijklmnopqrstuvwx, hello world";

const sse = (content: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\ndata: [DONE]\n\n`;

const structured = {
  response_format: {
    type: "json_schema",
    json_schema: { name: "a", schema: { type: "object", required: ["answer"] } },
  },
};
const tools = {
  tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }],
};

/** The primary's stream in `parts` pieces (split inside characters too); with one piece, whole in its first read. */
function streamed(text: string, parts: number): () => ClientReply {
  return () => {
    const bytes = encode(text);
    const size = Math.ceil(bytes.byteLength / parts);
    const pieces = Array.from({ length: parts }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
    let i = 0;
    const chunks: ChunkSource = {
      reported: undefined,
      get drained() {
        return parts === 1 && i === 1;
      },
      ready: () => (parts === 1 && i === 0 ? pieces[i++] : undefined),
      next: async () => pieces[i++],
      cancel() {},
    };
    return { kind: "stream", chunks };
  };
}

/** The cases compared: both modes, each way the primary's answer is kept, agreement measures that apply. */
const cases: { name: string; stream: boolean; reply: () => ClientReply; body: JsonObject }[] = [
  {
    name: "non-stream, the primary's bytes",
    stream: false,
    reply: () => ({ kind: "bytes", body: encode(JSON.stringify(chat(primaryText))) }) as ClientReply,
    body: ask("hello world"),
  },
  {
    name: "non-stream, the primary's parsed body, structured output",
    stream: false,
    reply: () => ({ kind: "json", body: chat('{"answer": 1}') }) as ClientReply,
    body: ask('{"answer": 2}', structured),
  },
  {
    name: "non-stream with tools",
    stream: false,
    reply: () => ({ kind: "json", body: chat("") }) as ClientReply,
    body: ask("look it up", tools),
  },
  {
    name: "stream, the primary's wire bytes",
    stream: true,
    reply: () => ({ kind: "bytes", body: encode(sse(primaryText)) }) as ClientReply,
    body: ask("hello there world", { stream: true, stream_options: { include_usage: true } }),
  },
  {
    name: "stream relayed in pieces, captured as bytes",
    stream: true,
    reply: streamed(sse("ünïcode — split ✓ everywhere"), 7),
    body: ask("hello there", { stream: true }),
  },
  {
    name: "stream whole in its first read (drained)",
    stream: true,
    reply: streamed(sse(primaryText), 1),
    body: ask("hello there world", { stream: true }),
  },
];

/** What may differ between two recordings of the same pair: its id, its time, the shadow's timing. */
const comparable = (record: ShadowRecord | undefined) =>
  record && {
    ...record,
    id: "",
    at: 0,
    shadow: { ...record.shadow, latencyMs: 0, ttftMs: record.shadow.ttftMs === null ? null : 0 },
  };

describe("a pair recorded in the shadow thread is the pair the event loop records", () => {
  for (const path of ["owned", "owned-insert"] as const)
    test(`${path === "owned" ? "store with insertJson" : "store with insert only"}: every case`, async () => {
      const loop = runner("loop");
      const owned = runner(path);
      for (const [i, c] of cases.entries()) {
        await mirrored(loop.shadow, `req_${i}`, twin(), c);
        await mirrored(owned.shadow, `req_${i}`, twin(), c);
      }
      await waitFor("the event loop's pairs", () => loop.stored.length === cases.length);
      await waitFor("the shadow thread's pairs", () => owned.stored.length === cases.length);
      await loop.shadow.close();
      await owned.shadow.close();
      const byId = (records: ShadowRecord[]) =>
        [...records].sort((a, b) => a.requestId.localeCompare(b.requestId)).map(comparable);
      expect(byId(owned.stored)).toEqual(byId(loop.stored));
      if (path === "owned") expect(owned.jsonBatches.length).toBeGreaterThan(0);
      // What the comparison says, so that equal records are not equally empty.
      const records = byId(owned.stored);
      expect(records[0]?.primary.answer).toBe("Sure: the key is [redacted], hello world");
      expect(records[0]?.shadow).toMatchObject({ status: 200, inputTokens: expect.any(Number) });
      expect(records[0]?.shadow.costUsd).toBeGreaterThan(0);
      expect(records[0]?.agreement.similarity).toBeGreaterThan(0);
      expect(records[0]?.agreement.similarity).toBeLessThan(1);
      expect(records[1]?.agreement.primaryJsonValid).toBe(true);
      expect(records[1]?.agreement.shadowJsonValid).not.toBeNull();
      expect(records[2]?.agreement.toolsAgree).toBe(false);
      expect(records[3]).toMatchObject({ stream: true, primary: { ttftMs: 4.57 } });
      expect(records[3]?.shadow.ttftMs).not.toBeNull();
      expect(records[4]?.primary.answer).toBe("ünïcode — split ✓ everywhere");
      expect(records[5]?.primary.answer).toBe("Sure: the key is [redacted], hello world");
    });
});

describe("an owned copy's timeout, the stop and the cap", () => {
  const plain = {
    stream: false,
    reply: () => ({ kind: "json", body: chat("hi") }) as ClientReply,
    body: ask("hi"),
  };

  test("a copy that hangs is cut off in the thread by its own timeout and recorded as a 504", async () => {
    const { shadow, stored } = runner("owned", { timeout: 50 });
    await mirrored(shadow, "req_timeout", twin({ "x-fake-hang": "1" }), plain);
    expect(shadow.inFlight()).toBe(1);
    await waitFor("the pair of the timed-out copy", () => stored.length > 0);
    expect(stored[0]?.shadow).toMatchObject({ status: 504, errorClass: "upstream_timeout", answer: null });
    expect(stored[0]?.agreement.similarity).toBeNull();
    expect(shadow.inFlight()).toBe(0);
    await shadow.close();
  });

  test("over the cap a copy is shed and counted; an owned copy counts until the thread is done with it", async () => {
    const { shadow, stored } = runner("owned", { timeout: 60_000, cap: 1 });
    expect(await mirrored(shadow, "req_first", twin({ "x-fake-hang": "1" }), plain)).toBe(true);
    expect(await mirrored(shadow, "req_shed", twin(), plain)).toBe(false);
    expect(shadow.counts().shed).toBe(1);
    await waitFor("the copy upstream", () =>
      fake.requests.some((r) => r.headers["x-request-id"] === "req_first-shadow"),
    );
    expect(shadow.inFlight()).toBe(1);
    expect(await mirrored(shadow, "req_shed_too", twin(), plain)).toBe(false);
    expect(shadow.counts().shed).toBe(2);
    // The stop cuts it off in the thread; its pair is recorded before close resolves.
    await shadow.close();
    expect(shadow.inFlight()).toBe(0);
    expect(stored.map((record) => record.requestId)).toEqual(["req_first"]);
    expect(stored[0]?.shadow).toMatchObject({ status: 503, errorClass: "unavailable" });
  });
});

describe("a copy's span and count", () => {
  const plain = {
    stream: false,
    reply: () => ({ kind: "json", body: chat("hi") }) as ClientReply,
    body: ask("hi"),
  };
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";

  for (const path of ["loop", "owned"] as const)
    test(`${path}: the copy sends its span's trace context and closes it as it ended`, async () => {
      fake.reset();
      const { shadow, stored } = runner(path, { timeout: 500 });
      const spans = copySpans(traceparent);
      await mirrored(shadow, `req_span_${path}`, twin(), { ...plain, telemetry: spans.telemetry });
      await mirrored(shadow, `req_span_hang_${path}`, twin({ "x-fake-hang": "1" }), {
        ...plain,
        telemetry: spans.telemetry,
      });
      await waitFor("both pairs", () => stored.length === 2);
      await waitFor("both spans closed", () => spans.closes.length === 2);
      expect(spans.routes).toEqual(["provider:twin", "provider:twin"]);
      // Answered, then cut off by its own timeout.
      expect(spans.closes.toSorted()).toEqual(["ok", "upstream_timeout"]);
      // Counted as they ended, for metrics; the answered copy's price as its pair was recorded.
      const answered = stored.find((record) => record.shadow.status === 200);
      expect(answered?.shadow.costUsd).toBeGreaterThan(0);
      const spent = answered ? [{ model: answered.model, usd: answered.shadow.costUsd }] : [];
      expect(shadow.counts()).toEqual({
        shed: 0,
        skipped: 0,
        inFlight: 0,
        ended: expect.arrayContaining([
          { provider: "twin", outcome: "ok", count: 1 },
          { provider: "twin", outcome: "upstream_timeout", count: 1 },
        ]),
        spent,
      });
      expect(shadow.counts().ended).toHaveLength(2);
      const sent = fake.requests.map((r) => [r.headers.traceparent, r.headers.tracestate]);
      expect(sent).toEqual([
        [traceparent, "mgw=1"],
        [traceparent, "mgw=1"],
      ]);
      await shadow.close();
    });

  test("owned: a copy cut off in the thread by a stop closes its span as unavailable", async () => {
    const { shadow } = runner("owned", { timeout: 60_000 });
    const spans = copySpans(traceparent);
    await mirrored(shadow, "req_span_stop", twin({ "x-fake-hang": "1" }), {
      ...plain,
      telemetry: spans.telemetry,
    });
    await waitFor("the copy upstream", () =>
      fake.requests.some((r) => r.headers["x-request-id"] === "req_span_stop-shadow"),
    );
    // A stop cuts it off in the thread: recorded as 503, its span closed with it.
    await shadow.close();
    expect(spans.closes).toEqual(["unavailable"]);
    expect(shadow.counts().ended).toEqual([{ provider: "twin", outcome: "unavailable", count: 1 }]);
  });
});
