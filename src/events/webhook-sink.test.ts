import { afterEach, describe, expect, test } from "bun:test";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { createWebhookSink, type WebhookSinkOptions, webhookSignature } from "./webhook-sink.ts";

// A real receiver on a loopback port: what arrives, with which headers, answered as scripted.
interface Delivery {
  body: string;
  events: GatewayEvent[];
  signature: string;
  delivery: string;
}

function receiver(answer: (n: number) => number | "hang" = () => 200) {
  const deliveries: Delivery[] = [];
  const held: (() => void)[] = [];
  let calls = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.text();
      const status = answer(++calls);
      deliveries.push({
        body,
        events: (JSON.parse(body) as { events: GatewayEvent[] }).events,
        signature: request.headers.get("x-mindgw-signature") ?? "",
        delivery: request.headers.get("x-mindgw-delivery") ?? "",
      });
      if (status === "hang") await new Promise<void>((resolve) => held.push(resolve));
      return new Response(null, { status: status === "hang" ? 200 : status });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    deliveries,
    stop() {
      for (const release of held) release();
      server.stop(true);
    },
  };
}

const event = (version: number): GatewayEvent => ({ type: "config.reloaded", at: version, version });

let stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops) stop();
  stops = [];
});
const started = (answer?: (n: number) => number | "hang") => {
  const r = receiver(answer);
  stops.push(r.stop);
  return r;
};

/**
 * A sink signing with "k" that notes each drop in `drops` as "<count> <reason>", and with
 * `withError` as "<count> <reason>: <error>" (what a redirect's drop says).
 */
function notingSink(
  drops: string[],
  options: Omit<WebhookSinkOptions, "secret" | "onDrop">,
  withError = false,
) {
  return createWebhookSink({
    secret: "k",
    ...options,
    onDrop: (count, reason, error) =>
      drops.push(withError ? `${count} ${reason}: ${error}` : `${count} ${reason}`),
  });
}

/** Event 1 sent, one to a batch, to a receiver that answers every POST with `answer`; the sink closed. */
async function sentToRedirecting(drops: string[], answer: () => Response) {
  const redirecting = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: answer });
  stops.push(() => redirecting.stop(true));
  const sink = notingSink(
    drops,
    { url: `http://127.0.0.1:${redirecting.port}/hook`, batchSize: 1, backoffMs: 1 },
    true,
  );
  sink.publish(event(1));
  await sink.close();
  return sink;
}

describe("webhook sink", () => {
  test("events are batched and every delivery is signed with HMAC-SHA256 over t.body", async () => {
    const r = started();
    const sink = createWebhookSink({ url: r.url, secret: "s3cret", batchSize: 3, flushMs: 60_000 });
    for (const v of [1, 2, 3]) sink.publish(event(v));
    await waitFor("one delivery", () => r.deliveries.length === 1);
    const [delivery] = r.deliveries;
    expect(delivery?.events.map((e) => (e as { version: number }).version)).toEqual([1, 2, 3]);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivery?.signature ?? "");
    expect(match).not.toBeNull();
    expect(match?.[2]).toBe(await webhookSignature("s3cret", Number(match?.[1]), delivery?.body ?? ""));
    expect(match?.[2]).not.toBe(await webhookSignature("wrong", Number(match?.[1]), delivery?.body ?? ""));
    await sink.close();
    expect(sink.stats()).toEqual({ queued: 0, delivered: 3, dropped: 0 });
  });

  test("a part batch goes out after flushMs; close sends what is left", async () => {
    const r = started();
    const sink = createWebhookSink({ url: r.url, secret: "k", batchSize: 100, flushMs: 10 });
    sink.publish(event(1));
    await waitFor("the timed flush", () => r.deliveries.length === 1);
    const closing = createWebhookSink({ url: r.url, secret: "k", batchSize: 100, flushMs: 60_000 });
    closing.publish(event(2));
    await closing.close();
    expect(r.deliveries.at(-1)?.events).toEqual([event(2)]);
  });

  test("5xx and 429 are retried with backoff under the same delivery id and body; then it arrives once, and the next batch has its own id", async () => {
    const r = started((n) => (n === 1 ? 503 : n === 2 ? 429 : 200));
    const sink = createWebhookSink({ url: r.url, secret: "k", batchSize: 1, backoffMs: 5 });
    sink.publish(event(7));
    await waitFor("the third attempt", () => r.deliveries.length === 3);
    // What a receiver de-duplicates a retry by (docs/EMBEDDING.md): one id, one body, each try.
    expect(new Set(r.deliveries.map((d) => d.delivery)).size).toBe(1);
    expect(new Set(r.deliveries.map((d) => d.body)).size).toBe(1);
    expect(r.deliveries[0]?.delivery).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    sink.publish(event(8));
    await waitFor("the next batch", () => r.deliveries.length === 4);
    expect(r.deliveries[3]?.delivery).not.toBe(r.deliveries[0]?.delivery);
    await sink.close();
    expect(sink.stats()).toEqual({ queued: 0, delivered: 2, dropped: 0 });
  });

  test("a 4xx is not retried, and retries run out: both drops are counted", async () => {
    const drops: string[] = [];
    const rejecting = started(() => 400);
    const sink = notingSink(drops, {
      url: rejecting.url,
      batchSize: 1,
    });
    sink.publish(event(1));
    await sink.close();
    expect(rejecting.deliveries).toHaveLength(1);
    const failing = started(() => 500);
    const retrying = notingSink(drops, {
      url: failing.url,
      batchSize: 1,
      maxAttempts: 3,
      backoffMs: 1,
    });
    retrying.publish(event(2));
    await waitFor("three attempts", () => failing.deliveries.length === 3);
    await retrying.close();
    expect(drops).toEqual(["1 rejected", "1 retries_exhausted"]);
    expect(retrying.stats().dropped).toBe(1);
  });

  test("closing, a batch the receiver answers 503 is retried with backoff, not dropped", async () => {
    const drops: string[] = [];
    // A receiver restarting as the gateway stops: its first answer is a 503.
    const r = started((n) => (n === 1 ? 503 : 200));
    const sink = notingSink(drops, {
      url: r.url,
      flushMs: 60_000,
      backoffMs: 1,
    });
    for (const v of [1, 2, 3]) sink.publish(event(v));
    await sink.close();
    expect(r.deliveries.map((d) => d.events.length)).toEqual([3, 3]);
    expect(drops).toEqual([]);
    expect(sink.stats()).toEqual({ queued: 0, delivered: 3, dropped: 0 });
  });

  test("closing ends at its deadline: the POST in flight is cut and what is left is dropped as closed", async () => {
    const drops: string[] = [];
    const r = started(() => "hang");
    const sink = notingSink(drops, {
      url: r.url,
      batchSize: 1,
      maxAttempts: 100,
      // Neither one POST's bound nor the retries would end it: only the close deadline does.
      timeoutMs: 600_000,
      closeTimeoutMs: 20,
    });
    for (const v of [1, 2, 3]) sink.publish(event(v));
    await sink.close();
    expect(drops).toEqual(["1 closed", "2 closed"]);
    expect(sink.stats()).toEqual({ queued: 0, delivered: 0, dropped: 3 });
  });

  test("closing against a receiver that keeps failing retries until the deadline, then drops", async () => {
    const drops: string[] = [];
    const r = started(() => 503);
    const sink = notingSink(drops, {
      url: r.url,
      maxAttempts: 100,
      backoffMs: 1,
      closeTimeoutMs: 50,
    });
    sink.publish(event(1));
    await sink.close();
    expect(drops).toEqual(["1 closed"]);
    // Closing again is the same close.
    await sink.close();
    expect(sink.stats()).toEqual({ queued: 0, delivered: 0, dropped: 1 });
  });

  test("a receiver that hangs costs a bounded queue: the oldest are dropped and counted", async () => {
    const r = started(() => "hang");
    const sink = createWebhookSink({
      url: r.url,
      secret: "k",
      batchSize: 1,
      maxQueue: 5,
      maxAttempts: 1,
      timeoutMs: 200,
    });
    sink.publish(event(0));
    await waitFor("the first delivery to hang", () => r.deliveries.length === 1);
    for (let v = 1; v <= 10; v++) sink.publish(event(v));
    expect(sink.stats()).toEqual({ queued: 5, delivered: 0, dropped: 5 });
    await sink.close();
    expect(sink.stats().queued).toBe(0);
  });

  test("a receiver that hangs costs a queue bounded in bytes too: large events push the oldest out, counted", async () => {
    const drops: string[] = [];
    const r = started(() => "hang");
    const sink = notingSink(drops, {
      url: r.url,
      batchSize: 1,
      maxQueue: 1_000, // far off: the bytes bind
      maxQueueBytes: 10_000,
      maxAttempts: 1,
      timeoutMs: 200,
      closeTimeoutMs: 20,
    });
    sink.publish(event(0));
    await waitFor("the first delivery to hang", () => r.deliveries.length === 1);
    // About 3 KB of JSON each: three fit in 10,000 bytes, and each one past them lets the oldest go.
    const large = (at: number): GatewayEvent => ({ type: "config.rejected", at, error: "x".repeat(3_000) });
    for (let at = 1; at <= 10; at++) sink.publish(large(at));
    expect(sink.stats()).toEqual({ queued: 3, delivered: 0, dropped: 7 });
    expect(drops).toEqual(Array(7).fill("1 queue_full"));
    // An event past the whole bound is not held, and costs the others nothing.
    sink.publish({ type: "config.rejected", at: 11, error: "y".repeat(20_000) });
    expect(sink.stats()).toEqual({ queued: 3, delivered: 0, dropped: 8 });
    await sink.close();
  });

  test("the first delivery after drops says how many the burst lost", async () => {
    const told: string[] = [];
    let answering = false;
    const r = started(() => (answering ? 200 : 503));
    const sink = createWebhookSink({
      url: r.url,
      secret: "k",
      batchSize: 1,
      maxQueue: 2,
      maxAttempts: 1,
      onDrop: (count, reason) => told.push(`dropped ${count} ${reason}`),
      onResumed: (dropped) => told.push(`resumed after ${dropped}`),
    });
    // 1 in flight, 2 let go for 4, then 1, 3 and 4 answered 503 with no try left.
    for (let v = 1; v <= 4; v++) sink.publish(event(v));
    await waitFor("every event dropped", () => sink.stats().dropped === 4);
    answering = true;
    sink.publish(event(5));
    sink.publish(event(6));
    await waitFor("the deliveries", () => sink.stats().delivered === 2);
    expect(told).toEqual([
      "dropped 1 queue_full",
      "dropped 1 retries_exhausted",
      "dropped 1 retries_exhausted",
      "dropped 1 retries_exhausted",
      "resumed after 4",
    ]);
    await sink.close();
  });

  test("a redirect is not followed: the delivery is dropped, saying the status and where it led", async () => {
    // Where the redirect leads: followed, it would get the signature and the events (a 307 resends the POST).
    const elsewhere = started();
    const drops: string[] = [];
    const sink = await sentToRedirecting(
      drops,
      () =>
        new Response(null, {
          status: 307,
          headers: { location: elsewhere.url.replace("//", "//user:pw@").concat("?token=t0p") },
        }),
    );
    expect(elsewhere.deliveries).toHaveLength(0);
    expect(drops).toEqual([
      // Where it led by scheme and host alone: a webhook's path is its credential.
      `1 redirected: the receiver answered 307, a redirect to ${new URL(elsewhere.url).origin}, which the gateway does not follow`,
    ]);
    expect(sink.stats()).toEqual({ queued: 0, delivered: 0, dropped: 1 });
  });

  test("a redirect to where no origin is (data:, mailto:) says no place, never 'a redirect to null'", async () => {
    const drops: string[] = [];
    for (const location of ["data:text/plain,hi", "mailto:ops@example.com"]) {
      await sentToRedirecting(drops, () => new Response(null, { status: 302, headers: { location } }));
    }
    const said = "1 redirected: the receiver answered 302, a redirect, which the gateway does not follow";
    expect(drops).toEqual([said, said]);
  });

  test("only the listed event types are sent", async () => {
    const r = started();
    const sink = createWebhookSink({ url: r.url, secret: "k", types: ["config.rejected"], flushMs: 1 });
    sink.publish(event(1));
    sink.publish({ type: "config.rejected", at: 1, error: "bad" });
    await sink.close();
    expect(r.deliveries.flatMap((d) => d.events.map((e) => e.type))).toEqual(["config.rejected"]);
  });
});
