import { describe, expect, test } from "bun:test";
import { ANSWER_KIND, decodeAnswer, encodeAnswer, encodeAnswerEnd } from "./answer-frame.ts";
import { encodeBatch } from "./batch-frame.ts";
import { CHUNK_KIND } from "./chunk-frame.ts";
import { CloseCode } from "./protocol.ts";
import { decodeRequestFrame, encodeRequestFrame, REQUEST_KIND } from "./request-frame.ts";
import { cleanupsAfterEach, fakeGateway, startWorker } from "./testing/fake-gateway.ts";
import { openRawWorker } from "./testing/raw-worker.ts";
import { collect, startGateway, type TestGateway, waitFor } from "./testing/tunnel-harness.ts";

// Binary request and answer frames go only between peers that said they read them
// (docs/worker-protocol.md, "Binary request frame", "Binary answer frame").
const cleanup = cleanupsAfterEach();

const encoder = new TextEncoder();
const CLIENT_TEXT = '{"model":"llama-small",  "messages":[{"role":"user","content":"\\"hi\\" é 🙂"}]}';
const native = { bytes: encoder.encode(CLIENT_TEXT), headers: {}, query: "" };

function gateway(): TestGateway {
  const g = startGateway();
  cleanup(() => g.stop());
  return g;
}

describe("the gateway's side", () => {
  test("a worker that reads binary requests gets the client's bytes behind the frame's JSON; an older one JSON text", async () => {
    const g = gateway();
    const call = () => g.call({ body: { model: "llama-small", messages: [] }, native }).catch(() => {});
    const old = await openRawWorker(g.port);
    expect(await old.register(["llama-small"], "old", { bodyText: true })).toEqual(
      expect.objectContaining({ type: "registered", binaryAnswers: true }),
    );
    void call();
    expect((await old.next("request")).bodyText).toBe(CLIENT_TEXT);
    expect(old.binary).toEqual([]);
    old.socket.close();
    await waitFor("the old worker to be removed", () => g.registry.list().length === 0);

    const current = await openRawWorker(g.port);
    await current.register(["llama-small"], "current", { bodyText: true, binaryRequests: true });
    void call();
    const request = await current.next("request");
    expect(current.binary.map((m) => m[0])).toEqual([REQUEST_KIND]);
    expect(request).toEqual(
      expect.objectContaining({ body: { model: "llama-small" }, bodyText: CLIENT_TEXT }),
    );
    current.socket.close();
  });

  test("a request with a tracestate goes as JSON, beside its traceparent only, even to a worker that reads binary requests", async () => {
    const g = gateway();
    const worker = await openRawWorker(g.port);
    await worker.register(["llama-small"], "current", { bodyText: true, binaryRequests: true });
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const body = { model: "llama-small", messages: [] };
    void g.call({ body, native, traceparent, tracestate: "congo=t61rcWkgMzE" }).catch(() => {});
    // The binary frame has no place for it: an older worker reads the JSON and ignores the field.
    expect(await worker.next("request")).toEqual(
      expect.objectContaining({ bodyText: CLIENT_TEXT, traceparent, tracestate: "congo=t61rcWkgMzE" }),
    );
    expect(worker.binary).toEqual([]);
    // Never without a traceparent: that request is the common one again, in a binary frame.
    void g.call({ body, native, tracestate: "congo=t61rcWkgMzE" }).catch(() => {});
    await waitFor("a binary request frame", () => worker.binary.length === 1);
    const read = decodeRequestFrame(worker.binary[0] as Uint8Array);
    if (typeof read === "string") throw new Error(read);
    expect(read.request).not.toHaveProperty("tracestate");
    worker.socket.close();
  });

  test("a binary request frame carries the client's bytes exactly as received, not decoded and encoded again", async () => {
    const g = gateway();
    // Not valid UTF-8: a decode would have made the last byte U+FFFD (three bytes) on the way.
    const bytes = new Uint8Array([
      ...encoder.encode('{"model":"llama-small","messages":[],"x":"'),
      0xff,
      0x22,
      0x7d,
    ]);
    const worker = await openRawWorker(g.port);
    await worker.register(["llama-small"], "current", { bodyText: true, binaryRequests: true });
    void g
      .call({ body: { model: "llama-small", messages: [] }, native: { ...native, bytes } })
      .catch(() => {});
    await worker.next("request");
    const read = decodeRequestFrame(worker.binary[0] as Uint8Array);
    if (typeof read === "string") throw new Error(read);
    expect(read.body).toEqual(bytes);
    worker.socket.close();
  });

  test("answer frames answer calls: a whole one, a stream's head and end around chunks, a whole stream, a Retry-After kept", async () => {
    const g = gateway();
    const raw = await openRawWorker(g.port);
    await raw.register(["llama-small"], "raw", { batch: true });
    const answer =
      '{"id":"x","object":"chat.completion","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}';
    const whole = g.call({ body: { model: "llama-small", messages: [] } });
    const first = Number((await raw.next("request")).id);
    raw.send(
      encodeAnswer(first, { status: 200, contentType: "application/json" }, true, encoder.encode(answer)),
    );
    const reply = await whole;
    expect(reply.kind === "json" && reply.body).toEqual(JSON.parse(answer));

    const stream = g.call({ body: { model: "llama-small", messages: [], stream: true }, stream: true });
    const id = Number((await raw.next("request")).id);
    const event = (n: number) => `data: {"choices":[{"index":0,"delta":{"content":"t${n}"}}]}\n\n`;
    raw.send(encodeAnswer(id, { status: 200, contentType: "text/event-stream" }, false));
    raw.send(
      encodeBatch([
        { id, bytes: encoder.encode(event(1)) },
        { id, bytes: encoder.encode(event(2)) },
        encodeAnswerEnd(id),
      ]),
    );
    const events = await collect(await stream);
    expect(events.filter((e) => e.includes("delta"))).toHaveLength(2);

    // A short stream whose end the worker had with its head: one whole answer frame.
    const short = g.call({ body: { model: "llama-small", messages: [], stream: true }, stream: true });
    const shortId = Number((await raw.next("request")).id);
    const sse = encoder.encode(`${event(1)}${event(2)}data: [DONE]\n\n`);
    raw.send(encodeAnswer(shortId, { status: 200, contentType: "text/event-stream" }, true, sse));
    expect((await collect(await short)).filter((e) => e.includes("delta"))).toHaveLength(2);

    const limited = g.call({ body: { model: "llama-small", messages: [] } }).catch((e: unknown) => e);
    const third = Number((await raw.next("request")).id);
    const refusal = encoder.encode('{"error":{"message":"slow down"}}');
    raw.send(
      encodeAnswer(third, { status: 429, contentType: "application/json", retryAfter: "7" }, true, refusal),
    );
    expect(await limited).toEqual(
      expect.objectContaining({ status: 429, headers: expect.objectContaining({ "retry-after": "7" }) }),
    );
  });

  test("a second head in an answer frame (its status after a JSON head) closes the worker's connection: the caller hears the worker was lost, never the second head's body", async () => {
    const g = gateway();
    const raw = await openRawWorker(g.port);
    await raw.register(["llama-small"], "raw", { batch: true });
    const whole = g.call({ body: { model: "llama-small", messages: [] } }).catch((e: unknown) => e);
    const id = Number((await raw.next("request")).id);
    raw.send({ type: "head", id: String(id), status: 200, contentType: "application/json" });
    const failed = encoder.encode('{"error":{"message":"the server failed"}}');
    raw.send(encodeAnswer(id, { status: 500, contentType: "application/json" }, true, failed));
    expect(await whole).toEqual(expect.objectContaining({ code: "worker_lost" }));
    expect((await raw.waitClosed()).code).toBe(CloseCode.protocolError);
    await waitFor("the worker to be removed", () => g.registry.list().length === 0);
  });

  test("a malformed answer frame or a request frame from a worker closes its connection", async () => {
    const g = gateway();
    const raw = await openRawWorker(g.port);
    await raw.register(["llama-small"], "raw", { batch: true });
    raw.send(Uint8Array.of(ANSWER_KIND, 0, 0, 0, 1, 9));
    expect((await raw.waitClosed()).code).toBe(CloseCode.protocolError);
    await waitFor("the worker to be removed", () => g.registry.list().length === 0);
    const other = await openRawWorker(g.port);
    await other.register(["llama-small"], "other", { batch: true });
    const plain = { id: 1, requestId: "r", path: "/chat/completions", stream: false, window: 1024 };
    other.send(encodeBatch([encodeRequestFrame(plain, "{}") as Uint8Array<ArrayBuffer>]));
    expect((await other.waitClosed()).code).toBe(CloseCode.protocolError);
  });
});

const SSE = 'data: {"choices":[]}\n\ndata: [DONE]\n\n';

/**
 * An upstream that keeps each request's body as it arrived and answers non-stream or SSE: the
 * stream in one write, or (`"hold":true` in the body) its first event, then the rest once the
 * test calls `release`.
 */
function recordingUpstream() {
  const bodies: string[] = [];
  const held = Promise.withResolvers<void>();
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const text = await request.text();
      bodies.push(text);
      const { stream, hold } = JSON.parse(text) as { stream?: boolean; hold?: boolean };
      if (!stream) return Response.json({ id: "c", object: "chat.completion", choices: [] });
      const headers = { "content-type": "text/event-stream" };
      if (!hold) return new Response(SSE, { headers });
      const [first, rest] = [SSE.slice(0, SSE.indexOf("\n\n") + 2), SSE.slice(SSE.indexOf("\n\n") + 2)];
      const body = new ReadableStream<string>({
        async start(controller) {
          controller.enqueue(first);
          await held.promise;
          controller.enqueue(rest);
          controller.close();
        },
      });
      return new Response(body, { headers });
    },
  });
  cleanup(() => void server.stop(true));
  return { url: `http://127.0.0.1:${server.port}/v1`, bodies, release: () => held.resolve() };
}

/**
 * An upstream that writes its whole answer in one socket write: an event stream chunked, with no
 * declared length, its last chunk with it (as a server that had the stream whole writes it), so
 * the worker reads its head, its body and its end at once.
 */
function oneWriteChunkedUpstream() {
  const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
  const events = SSE.split(/(?<=\n\n)/);
  const answer = `HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n${events.map(chunk).join("")}0\r\n\r\n`;
  const server = Bun.listen<{ got: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { got: "" };
      },
      data(socket, bytes) {
        socket.data.got += new TextDecoder().decode(bytes);
        const headEnd = socket.data.got.indexOf("\r\n\r\n");
        const length = Number(/content-length: *(\d+)/i.exec(socket.data.got)?.[1] ?? 0);
        if (headEnd < 0 || Buffer.byteLength(socket.data.got) < headEnd + 4 + length) return;
        socket.data.got = "";
        socket.write(answer);
      },
    },
  });
  cleanup(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}/v1` };
}

const binaryRequest = (id: number, stream: boolean, text: string) =>
  encodeRequestFrame(
    { id, requestId: `r${id}`, path: "/chat/completions", model: "llama-small", stream, window: 256 * 1024 },
    text,
  ) as Uint8Array<ArrayBuffer>;

describe("the worker's side", () => {
  for (const readsAnswers of [true, false])
    test(`binary requests reach the upstream byte for byte; a gateway that ${readsAnswers ? "reads" : "does not read"} answer frames gets ${readsAnswers ? "them" : "JSON heads and ends"}`, async () => {
      const upstream = recordingUpstream();
      const gw = fakeGateway({ batch: true, binaryAnswers: readsAnswers }, cleanup);
      startWorker(gw.url, upstream.url, cleanup);
      // What came after the register frame.
      const answered = () => gw.frames().slice(1);
      await waitFor("the worker to register", () => gw.register() !== undefined);
      expect(gw.register()).toEqual(expect.objectContaining({ binaryRequests: true, bodyText: true }));
      const streamText = CLIENT_TEXT.replace("{", '{"stream":true,');
      gw.send(encodeBatch([binaryRequest(1, false, CLIENT_TEXT)]));
      gw.send(binaryRequest(2, true, streamText));
      const ended = () =>
        answered().filter((f) =>
          f instanceof Uint8Array ? f[0] === ANSWER_KIND && f[5] !== 1 : f.type === "end",
        );
      await waitFor("both answers to end", () => ended().length === 2);
      expect(upstream.bodies.sort()).toEqual([streamText, CLIENT_TEXT].sort());
      const kinds = answered().map((f): string | number | undefined =>
        f instanceof Uint8Array ? f[0] : f.type,
      );
      if (!readsAnswers) {
        expect(kinds.sort()).toEqual([CHUNK_KIND, CHUNK_KIND, "end", "end", "head", "head"].sort());
        return;
      }
      // Both answers whole, each in one frame: the stream came in one read, its end with its head.
      const answers = answered().flatMap((f) =>
        f instanceof Uint8Array && f[0] === ANSWER_KIND ? [decodeAnswer(f)] : [],
      );
      expect(kinds).toEqual([ANSWER_KIND, ANSWER_KIND]);
      const text = (id: number) => {
        const whole = answers.find((a) => typeof a !== "string" && a.id === id);
        return typeof whole === "string" ? whole : new TextDecoder().decode(whole?.body);
      };
      expect(answers).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 1, status: 200, end: true }),
          expect.objectContaining({
            id: 2,
            contentType: "text/event-stream",
            end: true,
          }),
        ]),
      );
      expect(JSON.parse(text(1))).toEqual(expect.objectContaining({ object: "chat.completion" }));
      expect(text(2)).toBe(SSE);
    });

  test("a chunked stream whose end came in the read with its head goes whole, in one answer frame", async () => {
    const gw = fakeGateway({ batch: true, binaryAnswers: true }, cleanup);
    startWorker(gw.url, oneWriteChunkedUpstream().url, cleanup);
    await waitFor("the worker to register", () => gw.register() !== undefined);
    gw.send(binaryRequest(4, true, CLIENT_TEXT.replace("{", '{"stream":true,')));
    const answered = () => gw.frames().slice(1) as Uint8Array[];
    await waitFor("the answer's end", () =>
      answered().some((f) => f[0] === ANSWER_KIND && (f[5] as number) & 2),
    );
    // No declared length, yet no head, chunk and end one by one: its next read said it had ended.
    expect(answered().map((f) => [f[0], f[5]])).toEqual([[ANSWER_KIND, 3]]);
    const answer = decodeAnswer(answered()[0] as Uint8Array);
    if (typeof answer === "string") throw new Error(answer);
    expect([answer.status, answer.contentType, new TextDecoder().decode(answer.body)]).toEqual([
      200,
      "text/event-stream",
      SSE,
    ]);
  });

  test("a stream whose end is not in with its head goes as it comes: its head, then chunks, then its end", async () => {
    const upstream = recordingUpstream();
    const gw = fakeGateway({ batch: true, binaryAnswers: true }, cleanup);
    startWorker(gw.url, upstream.url, cleanup);
    await waitFor("the worker to register", () => gw.register() !== undefined);
    gw.send(binaryRequest(3, true, CLIENT_TEXT.replace("{", '{"stream":true,"hold":true,')));
    const answered = () => gw.frames().slice(1) as Uint8Array[];
    // The head and the first event reach the gateway while the upstream still holds the rest.
    await waitFor("the first event", () => answered().some((f) => f[0] === CHUNK_KIND));
    expect(answered().map((f) => [f[0], f[5]])).toEqual([
      [ANSWER_KIND, 1],
      [CHUNK_KIND, SSE.charCodeAt(0)],
    ]);
    upstream.release();
    await waitFor("the end", () => answered().some((f) => f[0] === ANSWER_KIND && f[5] === 2));
    const body = answered()
      .filter((f) => f[0] === CHUNK_KIND)
      .map((f) => new TextDecoder().decode(f.subarray(5)))
      .join("");
    expect(body).toBe(SSE);
  });
});
