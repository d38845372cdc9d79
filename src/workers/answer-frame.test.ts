import { describe, expect, test } from "bun:test";
import { ANSWER_KIND, Answer, decodeAnswer, encodeAnswer, encodeAnswerEnd } from "./answer-frame.ts";
import { encodeAlone } from "./batch-frame.ts";
import { decodeRequestFrame, encodeRequestFrame, queuedRequest, REQUEST_KIND } from "./request-frame.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("binary answer frames", () => {
  test("a head, an end, and a whole answer read back as written", () => {
    const head = { status: 200, contentType: "text/event-stream" };
    expect(decodeAnswer(encodeAnswer(7, head, false) as Uint8Array)).toEqual({
      id: 7,
      ...head,
      retryAfter: undefined,
      end: false,
      body: new Uint8Array(0),
    });
    expect(decodeAnswer(encodeAnswerEnd(0xffff_ffff))).toEqual({
      id: 0xffff_ffff,
      status: 0,
      contentType: "",
      retryAfter: undefined,
      end: true,
      body: new Uint8Array(0),
    });
    const limited = { status: 429, contentType: "application/json", retryAfter: "30" };
    const whole = decodeAnswer(encodeAnswer(9, limited, true, bytes('{"error":"é"}')) as Uint8Array);
    expect(whole).toEqual({ id: 9, ...limited, end: true, body: bytes('{"error":"é"}') });
  });

  test("frames read into one object: each read replaces every field of the last", () => {
    const into = new Answer();
    const limited = { status: 429, contentType: "application/json", retryAfter: "30" };
    decodeAnswer(encodeAnswer(9, limited, true, bytes("{}")) as Uint8Array, into);
    expect(decodeAnswer(encodeAnswerEnd(4), into)).toBe(into);
    expect(into).toEqual(
      Object.assign(new Answer(), { id: 4, status: 0, contentType: "", end: true, body: new Uint8Array(0) }),
    );
    decodeAnswer(encodeAnswer(5, { status: 200, contentType: "text/plain" }, false) as Uint8Array, into);
    expect(into.retryAfter).toBeUndefined();
    expect(into.status).toBe(200);
  });

  test("a head whose texts are not short printable ASCII is not framed (the JSON head takes it)", () => {
    expect(encodeAnswer(1, { status: 200, contentType: "text/plain; charset=é" }, false)).toBeUndefined();
    expect(encodeAnswer(1, { status: 200, contentType: "x".repeat(256) }, false)).toBeUndefined();
    expect(encodeAnswer(1, { status: 200, contentType: "a\nb" }, false)).toBeUndefined();
    expect(encodeAnswer(1, { status: 200, contentType: "x".repeat(255) }, false)).toBeDefined();
  });

  test("malformed frames are refused with a problem", () => {
    const good = encodeAnswer(
      3,
      { status: 200, contentType: "application/json", retryAfter: "5" },
      true,
      bytes("{}"),
    );
    if (!good) throw new Error("expected a frame");
    const withFlags = (flags: number) => Uint8Array.from(good, (b, i) => (i === 5 ? flags : b));
    const withStatus = (status: number) => {
      const copy = new Uint8Array(good);
      new DataView(copy.buffer).setUint16(6, status);
      return copy;
    };
    const headWithBody = encodeAnswer(3, { status: 200, contentType: "a" }, true, bytes("{}")) as Uint8Array;
    headWithBody[5] = 1;
    const nonAscii = new Uint8Array(good);
    nonAscii[9] = 0xc3;
    for (const bad of [
      good.subarray(0, 5),
      good.subarray(0, 9),
      good.subarray(0, 20),
      withFlags(0),
      withFlags(4),
      withStatus(199),
      withStatus(600),
      Uint8Array.of(ANSWER_KIND, 0, 0, 0, 1, 2, 0x7b),
      headWithBody,
      nonAscii,
      Uint8Array.of(1, 0, 0, 0, 1, 2),
    ])
      expect(typeof decodeAnswer(bad)).toBe("string");
  });
});

describe("binary request frames", () => {
  const plain = {
    id: 4294967295,
    requestId: "req-1",
    path: "/chat/completions",
    stream: true,
    window: 262_144,
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    model: "llama-small",
  };

  test("the request and the client's body read back as written, the body byte for byte", () => {
    const body = '{"model":"m","messages":[{"role":"user","content":"\\"quoted\\" é 🙂"}]}';
    const frame = encodeRequestFrame(plain, body);
    expect(frame?.[0]).toBe(REQUEST_KIND);
    const read = decodeRequestFrame(frame as Uint8Array);
    if (typeof read === "string") throw new Error(read);
    const { model, ...fields } = plain;
    expect(read.request).toEqual({ type: "request", ...fields, id: String(plain.id), body: { model } });
    expect(read.body).toEqual(bytes(body));
    // The client's bytes as received make the same frame as its text.
    expect(encodeRequestFrame(plain, bytes(body))).toEqual(frame as Uint8Array<ArrayBuffer>);
    const bare = decodeRequestFrame(
      encodeRequestFrame(
        { ...plain, stream: false, traceparent: undefined, model: undefined },
        "",
      ) as Uint8Array,
    );
    expect(bare).toEqual({
      request: expect.not.objectContaining({ traceparent: expect.anything() }),
      body: new Uint8Array(0),
    });
    expect(typeof bare !== "string" && bare.request).toEqual(
      expect.objectContaining({ stream: false, body: {} }),
    );
  });

  test("queued, the client's bytes stay the client's (not copied) until written as the same frame", () => {
    const body = bytes('{"model":"m","messages":[{"role":"user","content":"é"}]}');
    const queued = queuedRequest(plain, body);
    if (!queued) throw new Error("not queued");
    expect(queued.bytes).toBe(body);
    expect(encodeAlone(queued)).toEqual(encodeRequestFrame(plain, body) as Uint8Array<ArrayBuffer>);
    expect(queuedRequest({ ...plain, requestId: "é" }, body)).toBeUndefined();
  });

  test("a request whose texts are not short printable ASCII, or that goes elsewhere, is not framed", () => {
    expect(encodeRequestFrame({ ...plain, requestId: "é" }, "{}")).toBeUndefined();
    expect(encodeRequestFrame({ ...plain, model: "m".repeat(256) }, "{}")).toBeUndefined();
    expect(encodeRequestFrame({ ...plain, path: "/responses/resp_1" }, "{}")).toBeUndefined();
  });

  test("a frame cut short, with a bad id, window, flags, path or text is malformed", () => {
    const frame = encodeRequestFrame(plain, "{}") as Uint8Array;
    const changed = (at: number, value: number) => Uint8Array.from(frame, (b, i) => (i === at ? value : b));
    const otherPath = encodeRequestFrame({ ...plain, path: "/embeddings" }, "{}") as Uint8Array;
    otherPath.set(bytes("/xmbeddings"), 10 + 1 + plain.requestId.length + 1);
    for (const bad of [
      frame.subarray(0, 9),
      frame.subarray(0, 20),
      changed(1, 0).map((b, i) => (i >= 1 && i <= 4 ? 0 : b)),
      changed(5, 2),
      Uint8Array.from(frame, (b, i) => (i >= 6 && i <= 9 ? 0 : b)),
      changed(11, 0x80),
      otherPath,
      Uint8Array.of(1, 0, 0, 0, 1, 0x7b),
    ])
      expect(typeof decodeRequestFrame(bad)).toBe("string");
  });
});
