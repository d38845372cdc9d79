import { describe, expect, test } from "bun:test";
import { ANSWER_KIND, Answer, answerHeadSize, decodeAnswer, encodeAnswer } from "./answer-frame.ts";
import { BATCH_KIND, BatchReader, decodeBatch, encodeAlone, encodeBatch, TEXT_KIND } from "./batch-frame.ts";
import { CHUNK_KIND, chunkBytes, chunkId, encodeChunk } from "./chunk-frame.ts";
import { FrameWriter } from "./frame-writer.ts";
import {
  decodeRequestFrame,
  encodeRequestFrame,
  queuedRequest,
  REQUEST_KIND,
  RequestRead,
} from "./request-frame.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const head = JSON.stringify({ type: "head", id: "7", status: 200, contentType: "application/json; é" });
const end = JSON.stringify({ type: "end", id: "7" });

describe("batch messages", () => {
  test("text and chunk frames come back in order, chunks as the bytes they were", () => {
    const body = bytes('{"answer":"é"}');
    const batch = encodeBatch([head, { id: 7, bytes: body }, end]);
    expect(batch[0]).toBe(BATCH_KIND);
    expect(decodeBatch(batch)).toEqual([head, encodeChunk(7, body), end]);
  });

  test("a queued request is written as its request frame, in a batch or alone", () => {
    const plain = { id: 4, requestId: "req_1", path: "/chat/completions", stream: false, window: 64 };
    const body = bytes('{"model":"é"}');
    const whole = encodeRequestFrame(plain, body) as Uint8Array<ArrayBuffer>;
    const queued = queuedRequest(plain, body);
    if (!queued) throw new Error("not queued");
    expect(decodeBatch(encodeBatch([end, queued]))).toEqual([end, whole]);
    expect(encodeAlone(queued)).toEqual(whole);
  });

  test("a queued whole answer is written as its answer frame, in a batch or alone", () => {
    const body = bytes('{"error":"é"}');
    const head = { status: 429, contentType: "application/json", retryAfter: "30" };
    const queued = { id: 9, ...head, headBytes: answerHeadSize(head), bytes: body };
    const whole = encodeAnswer(9, head, true, body) as Uint8Array<ArrayBuffer>;
    expect(decodeBatch(encodeBatch([end, queued, { id: 7, bytes: body }]))).toEqual([
      end,
      whole,
      encodeChunk(7, body),
    ]);
    expect(encodeAlone(queued)).toEqual(whole);
  });

  test("a frame cut off, overrunning, empty, of another kind or a batch inside a batch is refused", () => {
    const good = encodeBatch([end, end]);
    expect(typeof decodeBatch(good.subarray(0, good.byteLength - 1))).toBe("string");
    expect(typeof decodeBatch(good.subarray(0, 3))).toBe("string");
    expect(decodeBatch(Uint8Array.of(BATCH_KIND, 0, 0, 0, 0))).toBe("batch frame overruns the message");
    expect(decodeBatch(Uint8Array.of(BATCH_KIND, 0, 0, 0, 1, 9))).toBe("batch frame of kind 9");
    const inner = encodeBatch([end, end]);
    const nested = new Uint8Array(5 + inner.byteLength);
    nested[0] = BATCH_KIND;
    new DataView(nested.buffer).setUint32(1, inner.byteLength);
    nested.set(inner, 5);
    expect(decodeBatch(nested)).toBe(`batch frame of kind ${BATCH_KIND}`);
  });

  test("each frame read where it is in the batch reads as it does alone; a bad batch is refused before any frame", () => {
    const answerHead = { status: 200, contentType: "application/json" };
    const answer = { id: 9, ...answerHead, headBytes: answerHeadSize(answerHead), bytes: bytes('{"a":1}') };
    const plain = { id: 4, requestId: "req_1", path: "/chat/completions", stream: true, window: 64 };
    const request = queuedRequest({ ...plain, model: "m" }, bytes('{"model":"m"}'));
    if (!request) throw new Error("no request frame");
    const batch = encodeBatch([end, answer, { id: 7, bytes: bytes("piece") }, request]);
    const reader = new BatchReader();
    expect(reader.over(batch)).toBeUndefined();
    const kinds: number[] = [];
    for (let kind = reader.next(); kind >= 0; kind = reader.next()) {
      kinds.push(kind);
      const { start, end: to } = reader;
      const alone = batch.slice(start, to);
      if (kind === TEXT_KIND) expect(reader.text()).toBe(end);
      else if (kind === ANSWER_KIND)
        expect(decodeAnswer(batch, new Answer(), start, to)).toEqual(decodeAnswer(alone));
      else if (kind === CHUNK_KIND) {
        expect(chunkId(batch, start, to)).toBe(7);
        expect(chunkBytes(batch, start, to)).toEqual(chunkBytes(alone));
      } else {
        const inPlace = decodeRequestFrame(batch, new RequestRead(), start, to);
        const read = decodeRequestFrame(alone);
        if (typeof inPlace === "string" || typeof read === "string") throw new Error("not read");
        expect(inPlace.request).toEqual(read.request);
        expect(inPlace.body).toEqual(bytes('{"model":"m"}'));
      }
    }
    expect(kinds).toEqual([TEXT_KIND, ANSWER_KIND, CHUNK_KIND, REQUEST_KIND]);
    // A frame of no kind a batch holds, after good ones: refused whole, before its frames are read.
    const bad = new Uint8Array(batch.byteLength + 5);
    bad.set(batch);
    bad.set([0, 0, 0, 1, 9], batch.byteLength);
    expect(reader.over(bad)).toBe("batch frame of kind 9");
  });
});

/** A sink that records what reaches the socket, and in which cork; a copy, as a socket's send takes. */
function recorder() {
  const writes: { kind: "text" | "binary"; value: string | Uint8Array; cork: number }[] = [];
  let cork = 0;
  let inCork = -1;
  return {
    writes,
    sink: {
      text: (value: string) => writes.push({ kind: "text", value, cork: inCork }),
      binary: (value: Uint8Array) => writes.push({ kind: "binary", value: value.slice(), cork: inCork }),
      cork: (write: () => void) => {
        inCork = ++cork;
        write();
        inCork = -1;
      },
    },
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("frame writer", () => {
  test("frames written in one turn leave together: one corked write to an older peer, one batch to a newer one", async () => {
    const old = recorder();
    const toOld = new FrameWriter(old.sink, 1024);
    toOld.text(head);
    toOld.chunk(7, bytes("x"));
    toOld.text(end);
    expect(old.writes).toEqual([]);
    await nextTurn();
    expect(old.writes.map((w) => [w.kind, w.cork])).toEqual([
      ["text", 1],
      ["binary", 1],
      ["text", 1],
    ]);

    const current = recorder();
    const toCurrent = new FrameWriter(current.sink, 1024);
    toCurrent.peerReadsBatches();
    toCurrent.text(head);
    toCurrent.chunk(7, bytes("x"));
    toCurrent.text(end);
    await nextTurn();
    expect(current.writes).toHaveLength(1);
    const [only] = current.writes;
    expect(decodeBatch(only?.value as Uint8Array)).toEqual([head, encodeChunk(7, bytes("x")), end]);
    // A lone frame goes as itself, not in a batch of one.
    toCurrent.text(end);
    await nextTurn();
    expect(current.writes[1]).toEqual({ kind: "text", value: end, cork: 2 });
  });

  test("a batch stays within the peer's message limit; a frame larger than the limit goes alone", async () => {
    const out = recorder();
    const writer = new FrameWriter(out.sink, 200);
    writer.peerReadsBatches();
    const chunk = encodeChunk(1, new Uint8Array(60));
    for (let i = 0; i < 7; i++) writer.chunk(1, new Uint8Array(60));
    writer.chunk(2, new Uint8Array(500));
    writer.chunk(1, new Uint8Array(60));
    await nextTurn();
    const sent = out.writes.map((w) => w.value as Uint8Array);
    for (const message of sent) expect(message.byteLength <= 200 || message.byteLength === 505).toBe(true);
    // Seven small chunks two to a batch (a third would pass 200 bytes), the last alone; then
    // the large one by itself, and the chunk after it.
    expect(sent.map((m) => [m[0], m.byteLength])).toEqual([
      [BATCH_KIND, 139],
      [BATCH_KIND, 139],
      [BATCH_KIND, 139],
      [1, 65],
      [1, 505],
      [1, 65],
    ]);
    const batched = sent.slice(0, 3).flatMap((m) => decodeBatch(m) as Uint8Array[]);
    expect(batched).toEqual(Array.from({ length: 6 }, () => chunk));
  });

  test("messages are written into one buffer, reused from one message to the next", async () => {
    const memory: ArrayBufferLike[] = [];
    const writer = new FrameWriter(
      { text: () => {}, binary: (frame) => void memory.push(frame.buffer) },
      64 * 1024,
    );
    writer.peerReadsBatches();
    for (const size of [3000, 9000, 100]) {
      writer.chunk(1, new Uint8Array(size));
      writer.chunk(2, new Uint8Array(size));
      await nextTurn();
      writer.chunk(3, new Uint8Array(size));
      await nextTurn();
    }
    // A batch and a lone chunk a size: the buffer grows once (to hold 9,000 bytes), no more.
    expect(memory).toHaveLength(6);
    expect(new Set(memory).size).toBe(2);
    // A message larger than what is kept for reuse gets memory of its own.
    writer.chunk(4, new Uint8Array(300 * 1024));
    writer.flush();
    expect(new Set(memory).size).toBe(3);
  });

  test("flush writes what is queued at once (before a close)", () => {
    const out = recorder();
    const writer = new FrameWriter(out.sink, 1024);
    writer.text(end);
    writer.flush();
    expect(out.writes.map((w) => w.value)).toEqual([end]);
  });
});
