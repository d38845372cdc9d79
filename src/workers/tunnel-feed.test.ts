import { afterEach, describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import type { BodyRead, StreamedAnswer } from "../providers/http/streamed-answer.ts";
import type { WholeAnswer } from "../providers/http/whole-answer.ts";
import type { ProviderReply } from "../providers/provider.ts";
import { openRawWorker, type RawWorker } from "./testing/raw-worker.ts";
import { startGateway, type TestGateway } from "./testing/tunnel-harness.ts";

// A native (same-dialect) call through a worker: a successful event stream reaches the byte
// relay as the exchange's own feed, with no Response or ReadableStream (tunnel-exchange.ts); a
// non-stream answer comes whole as bytes, as the lean client's does.

let gateway: TestGateway;
afterEach(async () => {
  await gateway?.stop();
});

const WINDOW = 1024;
const native = {
  bytes: new TextEncoder().encode('{"model":"llama-small","stream":true}'),
  headers: {},
  query: "",
};
const decoder = new TextDecoder();

async function nativeStream(): Promise<{ raw: RawWorker; id: string; reply: Promise<ProviderReply> }> {
  gateway = startGateway({ window: WINDOW });
  const raw = await openRawWorker(gateway.port);
  await raw.register();
  const reply = gateway.call({ body: { model: "llama-small", stream: true }, stream: true, native });
  const { id } = await raw.next("request");
  return { raw, id, reply };
}

function feedOf(reply: ProviderReply): StreamedAnswer {
  const answer = reply.kind === "http" ? reply.response : undefined;
  if (answer === undefined || answer instanceof Response || !("length" in answer))
    throw new Error("expected a feed");
  return answer;
}

function wholeOf(reply: ProviderReply): WholeAnswer {
  const answer = reply.kind === "http" ? reply.response : undefined;
  if (answer === undefined || answer instanceof Response || "length" in answer)
    throw new Error("expected a whole answer");
  return answer;
}

const text = (read: BodyRead) => (read.done ? undefined : read.value.map((v) => decoder.decode(v)).join(""));

describe("a native stream through a worker", () => {
  test("comes as a byte feed: what the worker sent, credit back as it is read, then the end", async () => {
    const { raw, id, reply } = await nativeStream();
    raw.send({ type: "head", id, status: 200, contentType: "text/event-stream" });
    const feed = feedOf(await reply);
    expect([feed.status, feed.length]).toEqual([200, -1]);
    const piece = `data: ${"x".repeat(WINDOW / 4)}\n\n`;
    raw.sendChunk(id, piece);
    expect(text(await feed.body.readMany())).toBe(piece);
    // A quarter window read: the worker may send that much more.
    expect(await raw.next("credit")).toEqual({ type: "credit", id, bytes: piece.length });
    raw.sendChunk(id, "data: 1\n\n");
    raw.sendChunk(id, "data: 2\n\n");
    raw.send({ type: "end", id });
    await raw.roundTrip();
    // Pieces that came while nobody read are taken in one read.
    expect(text(await feed.body.readMany())).toBe("data: 1\n\ndata: 2\n\n");
    expect((await feed.body.readMany()).done).toBe(true);
    expect(gateway.registry.list()[0]?.inFlight).toBe(0);
  });

  test("an answer that is not a successful event stream is still a Response", async () => {
    const { raw, id, reply } = await nativeStream();
    raw.send({ type: "head", id, status: 429, contentType: "application/json", retryAfter: "3" });
    raw.sendChunk(id, '{"error":{"message":"slow down"}}');
    raw.send({ type: "end", id });
    const answer = await reply;
    if (answer.kind !== "http" || !(answer.response instanceof Response))
      throw new Error("expected a Response");
    expect([answer.response.status, answer.response.headers.get("retry-after")]).toEqual([429, "3"]);
    expect(await answer.response.text()).toBe('{"error":{"message":"slow down"}}');
  });

  test("cancelled by its reader: the worker is told, and a read still waiting ends", async () => {
    const { raw, id, reply } = await nativeStream();
    raw.send({ type: "head", id, status: 200, contentType: "text/event-stream" });
    const feed = feedOf(await reply);
    const waiting = feed.body.readMany();
    await feed.body.cancel();
    expect((await waiting).done).toBe(true);
    expect(await raw.next("cancel")).toEqual({ type: "cancel", id });
    expect(gateway.registry.list()[0]?.inFlight).toBe(0);
  });

  test("a worker lost mid-stream fails the waiting read with worker_lost", async () => {
    const { raw, id, reply } = await nativeStream();
    raw.send({ type: "head", id, status: 200, contentType: "text/event-stream" });
    const feed = feedOf(await reply);
    const waiting = Promise.resolve(feed.body.readMany()).catch((e) => e as GatewayError);
    raw.socket.close();
    expect(((await waiting) as GatewayError).code).toBe("worker_lost");
  });
});

describe("a native non-stream answer through a worker", () => {
  test("comes whole as bytes with its status, type and Retry-After, no Response built for it", async () => {
    gateway = startGateway({ window: WINDOW });
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    const body = { ...native, bytes: new TextEncoder().encode('{"model":"llama-small"}') };
    const reply = gateway.call({ body: { model: "llama-small" }, stream: false, native: body });
    const { id } = await raw.next("request");
    raw.send({ type: "head", id, status: 429, contentType: "application/json", retryAfter: "3" });
    raw.sendChunk(id, '{"error":{"message":"slow down"}}');
    raw.send({ type: "end", id });
    const whole = wholeOf(await reply);
    expect([whole.status, whole.contentType, whole.retryAfter]).toEqual([429, "application/json", "3"]);
    expect(decoder.decode(whole.body)).toBe('{"error":{"message":"slow down"}}');
    expect(gateway.registry.list()[0]?.inFlight).toBe(0);
  });

  test("in several chunks, or none, comes whole as their bytes in order", async () => {
    gateway = startGateway({ window: WINDOW });
    const raw = await openRawWorker(gateway.port);
    await raw.register();
    const body = { ...native, bytes: new TextEncoder().encode('{"model":"llama-small"}') };
    for (const pieces of [['{"a":', '"é",', '"b":2}'], ['{"one":1}'], []]) {
      const reply = gateway.call({ body: { model: "llama-small" }, stream: false, native: body });
      const { id } = await raw.next("request");
      raw.send({ type: "head", id, status: 200, contentType: "application/json" });
      for (const piece of pieces) raw.sendChunk(id, piece);
      raw.send({ type: "end", id });
      expect(decoder.decode(wholeOf(await reply).body)).toBe(pieces.join(""));
    }
  });
});
