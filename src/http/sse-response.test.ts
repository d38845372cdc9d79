import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { StreamWire } from "../core/error-wire.ts";
import { type GatewayError, upstreamError } from "../core/gateway-error.ts";
import { Attempt } from "../routing/attempt.ts";
import { ByteRelay } from "../routing/byte-relay.ts";
import { childEnv } from "../testing/off-cloud-env.ts";
import { type StreamEnds, sseResponse, wholeStreamResponse } from "./sse-response.ts";
import { StoredBeforeEnd } from "./stored-before-answer.ts";

const encoder = new TextEncoder();
const TIMEOUTS = { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 };

/** Upstream reads as given; then a clean end, or a broken connection when `breaks`. */
function relayOf(reads: string[], breaks = false): ChunkSource {
  let at = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = reads[at++];
      if (next !== undefined) controller.enqueue(encoder.encode(next));
      else if (breaks) controller.error(new Error("reset"));
      else controller.close();
    },
  });
  const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
  return new ByteRelay(upstream.getReader(), attempt, {
    provider: "a",
    maxLine: 1024,
    onUsage: () => true,
    done: () => {},
  });
}

/** A source whose whole answer, its end with it, is its first read, in hand (a burst upstream's stream). */
function drainedWith(text: string): ChunkSource {
  let taken = false;
  return {
    reported: undefined,
    get drained() {
      return taken;
    },
    ready() {
      taken = true;
      return encoder.encode(text);
    },
    next: () => Promise.reject(new Error("next must not be called")),
    cancel() {},
  };
}

/**
 * How the record ends when the client reads until `seen` and then hangs up, the upstream having
 * sent `reads` and neither more nor its body's end (it would, later).
 */
async function leftAfter(seen: string, reads: string[]): Promise<GatewayError | undefined> {
  let at = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = reads[at++];
      if (next !== undefined) controller.enqueue(encoder.encode(next));
      else return new Promise(() => {});
    },
  });
  const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
  const chunks = new ByteRelay(upstream.getReader(), attempt, {
    provider: "a",
    maxLine: 1024,
    onUsage: () => true,
    done: () => {},
  });
  const ending = Promise.withResolvers<GatewayError | undefined>();
  const response = sseResponse(chunks, "anthropic", {}, streamEnds(ending.resolve), undefined);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes(seen)) {
    const read = await reader.read();
    if (read.done) break;
    text += decoder.decode(read.value);
  }
  await reader.cancel();
  return ending.promise;
}

/** A stream's ends: its end heard, its first byte not. */
function streamEnds(end: (error?: GatewayError) => void): StreamEnds {
  return { firstByte() {}, answered: () => undefined, closing() {}, end };
}

/** Reads the whole body and reports how the stream said it ended (once it has said so). */
async function run(chunks: ChunkSource, dialect: StreamWire = "openai") {
  const ending = Promise.withResolvers<{ error: GatewayError | undefined }>();
  // A first read in hand is taken first, as the pipeline takes it (http/model-pipeline.ts).
  const response = sseResponse(
    chunks,
    dialect,
    {},
    streamEnds((error) => ending.resolve({ error })),
    chunks.ready?.(),
  );
  const text = await response.text();
  return { text, ended: await ending.promise };
}

describe("sseResponse", () => {
  test("a clean stream reaches the client byte for byte and ends without an error", async () => {
    // An answer's chunk: one without a choice is no answer (routing/relay-scan.ts).
    const reads = ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\nda', "ta: [DONE]\n\n"];
    const { text, ended } = await run(relayOf(reads));
    expect(text).toBe(reads.join(""));
    expect(ended).toEqual({ error: undefined });
  });

  test("an error event relayed mid-stream is reported as a failure (the HTTP status stays 200)", async () => {
    const anthropic = await run(
      relayOf([
        'event: message_start\ndata: {"type":"message_start"}\n\n',
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"x"}}\n\n',
      ]),
      "anthropic",
    );
    expect(anthropic.ended?.error?.status).toBe(502);
    expect(anthropic.ended?.error?.code).toBe("upstream_error");
    const openai = await run(
      relayOf([
        'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
        'data: { "error":{"message":"x"}}\n\n',
      ]),
    );
    expect(openai.ended?.error?.status).toBe(502);
  });

  test("a client that hangs up on reading a relayed error event: the record keeps the failure, not client_closed", async () => {
    const error = await leftAfter("event: error", [
      'event: message_start\ndata: {"type":"message_start"}\n\n',
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"x"}}\n\n',
    ]);
    expect(error?.code).toBe("upstream_error");
    expect(error?.status).toBe(502);
  });

  test("a client that hangs up on reading [DONE], before the upstream closed its body, had the whole answer", async () => {
    const whole = await leftAfter("data: [DONE]", [
      'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
      "data: [DONE]\n\n",
    ]);
    expect(whole).toBeUndefined();
    const midway = await leftAfter('"choices"', [
      'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
    ]);
    expect(midway?.code).toBe("client_closed");
  });

  test("a connection lost mid-event: the half event is dropped, an error event in the caller's dialect follows", async () => {
    const { text, ended } = await run(relayOf(['data: {"a":1}\n\ndata: {"b"'], true), "anthropic");
    expect(text).toBe(
      'data: {"a":1}\n\nevent: error\ndata: {"type":"error","error":{"type":"api_error","message":"upstream a closed the connection mid-stream"}}\n\n',
    );
    expect(ended?.error?.message).toBe(upstreamError("upstream a closed the connection mid-stream").message);
  });

  test("a Responses stream relayed as it came ends failed as OpenAI ends one: its error event, then response.failed failing its own response (its created_at the opening's), numbered after the last event relayed", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up1","object":"response","created_at":1700000000,"status":"in_progress"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
    ];
    const { text, ended } = await run(relayOf(events, true), "responses");
    expect(text).toStartWith(
      `${events.join("")}event: error\ndata: {"type":"error","sequence_number":2,"code":"upstream_error","message":"upstream a closed the connection mid-stream","param":null}\n\n`,
    );
    expect(tail(text)).toEqual({
      type: "response.failed",
      sequence_number: 3,
      response: {
        id: "resp_up1",
        object: "response",
        created_at: 1700000000,
        incomplete_details: null,
        status: "failed",
        error: { code: "upstream_error", message: "upstream a closed the connection mid-stream" },
      },
    });
    expect(ended?.error?.code).toBe("upstream_error");
  });

  test("a Responses stream whose upstream orders the response's keys its own way still fails its own response", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"object":"response","status":"in_progress","id":"resp_az1"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
    ];
    const { text } = await run(relayOf(events, true), "responses");
    expect(tail(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 3,
      response: { id: "resp_az1" },
    });
  });

  test("a Responses stream whose upstream ends it with a bare error event gets the response.failed OpenAI sends after one (Codex reads that alone), numbered after it, with the upstream's code", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"object":"response","id":"resp_up2"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
      'event: error\ndata: {"type":"error","sequence_number":2,"code":"context_length_exceeded","message":"Your input exceeds the context window of this model.","param":"input"}\n\n',
    ];
    const { text, ended } = await run(relayOf(events), "responses");
    expect(text).toStartWith(events.join(""));
    expect(tail(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 3,
      response: {
        id: "resp_up2",
        status: "failed",
        error: {
          code: "context_length_exceeded",
          message: "Your input exceeds the context window of this model.",
        },
      },
    });
    expect(ended?.error?.code).toBe("upstream_error");
  });

  test("the response.failed the gateway writes says the previous_response_id its stream's response said (the caller's, for a chain the gateway expanded), both when the upstream failed and when it ended at a bare error event", async () => {
    const created =
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up4","object":"response","previous_response_id":"resp_prev"}}\n\n';
    const delta =
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n';
    const error =
      'event: error\ndata: {"type":"error","sequence_number":2,"code":"server_error","message":"boom","param":null}\n\n';
    for (const [reads, failing] of [
      [[created, delta], true],
      [[created, delta, error], false],
    ] as const) {
      const { text } = await run(relayOf([...reads], failing), "responses");
      expect(tail(text)).toMatchObject({
        type: "response.failed",
        response: { id: "resp_up4", previous_response_id: "resp_prev", status: "failed" },
      });
    }
    const { text } = await run(relayOf([created.replace('"resp_prev"', "null"), delta], true), "responses");
    expect(tail(text)).toMatchObject({ response: { id: "resp_up4", previous_response_id: null } });
  });

  test("one that ends with the upstream's own response.failed gets nothing added", async () => {
    const events = [
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_up3"}}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"hi"}\n\n',
      'event: error\ndata: {"type":"error","sequence_number":2,"code":"server_error","message":"boom","param":null}\n\n',
      'event: response.failed\ndata: {"type":"response.failed","sequence_number":3,"response":{"id":"resp_up3","status":"failed","error":{"code":"server_error","message":"boom"}}}\n\n',
    ];
    const { text } = await run(relayOf(events), "responses");
    expect(text).toBe(events.join(""));
  });

  test("a Responses stream that failed before anything was relayed (as one kept alive while its route had not answered): numbered from 0, a response of the gateway's own failed", async () => {
    const { text } = await run(relayOf([], true), "responses");
    expect(text).toStartWith('event: error\ndata: {"type":"error","sequence_number":0,');
    expect(tail(text)).toMatchObject({
      type: "response.failed",
      sequence_number: 1,
      response: { id: expect.stringMatching(/^resp_[0-9a-f]{48}$/), status: "failed" },
    });
  });

  test("an event stream's headers join the request's own, whole answer or pulled", async () => {
    const wholeHeaders: Record<string, string> = { "x-request-id": "req_1" };
    const whole = wholeStreamResponse(
      encoder.encode('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n'),
      wholeHeaders,
    );
    const pulledHeaders: Record<string, string> = { "x-request-id": "req_1" };
    const pulled = sseResponse(
      relayOf(['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n', "data: [DONE]\n\n"]),
      "openai",
      pulledHeaders,
      streamEnds(() => {}),
      undefined,
    );
    for (const response of [whole, pulled]) {
      expect(Object.fromEntries(response.headers)).toEqual({
        "x-request-id": "req_1",
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      });
      await response.text();
    }
  });

  test("a source drained with its first read closes with it: the end is not asked for", async () => {
    const whole = 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n';
    const chunks = drainedWith(whole);
    expect(await run(chunks)).toEqual({ text: whole, ended: { error: undefined } });
    // An upstream stream that arrives in one read with its end: the relay itself drains.
    expect(await run(relayOf([whole]))).toEqual({ text: whole, ended: { error: undefined } });
  });

  test("a source drained by a later read closes with that read", async () => {
    const reads = ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n', "data: [DONE]\n\n"];
    let at = 0;
    const chunks: ChunkSource = {
      reported: undefined,
      get drained() {
        return at === reads.length;
      },
      async next() {
        if (at === reads.length) throw new Error("next must not be called after the last read");
        return encoder.encode(reads[at++] ?? "");
      },
      cancel() {},
    };
    expect(await run(chunks)).toEqual({ text: reads.join(""), ended: { error: undefined } });
  });

  test("the head and a first read already in hand (256 bytes or more) leave in one write", async () => {
    // A first read of a few hundred bytes. (One under 256 bytes still goes out after the head,
    // in a write of its own: so Bun sends a standard stream's small first chunk; docs/BENCHMARKS-HISTORY.md.)
    const first = `data: {"choices":[{"delta":{"content":"${"hi ".repeat(100)}"}}]}\n\n`;
    // The first read is in hand; the next one never comes (the stream stays open).
    let taken = false;
    const chunks: ChunkSource = {
      reported: undefined,
      ready() {
        if (taken) return undefined;
        taken = true;
        // Holds this process just after `pull` returns: whatever Bun has not sent by then
        // reaches the client only after the hold, in a write of its own (the stimulus).
        queueMicrotask(() => Bun.sleepSync(300));
        return encoder.encode(first);
      },
      next: () => new Promise(() => {}),
      cancel() {},
    };
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch() {
        // As in the gateway, the answer is handed back after the request's own callback (the
        // upstream's reply arrives later), where nothing would gather the writes of the response.
        await new Promise((resolve) => setImmediate(resolve));
        return sseResponse(
          chunks,
          "openai",
          {},
          streamEnds(() => {}),
          chunks.ready?.(),
        );
      },
    });
    // The client is a process of its own: it reads what arrives while this one is held.
    const client = Bun.spawn(
      [
        process.execPath,
        "-e",
        `const socket = await Bun.connect({ hostname: "127.0.0.1", port: ${server.port}, socket: {
          data(_s, data) { process.stdout.write(data); process.exit(0); } } });
        socket.write("GET / HTTP/1.1\\r\\nhost: 127.0.0.1\\r\\n\\r\\n");`,
      ],
      { env: childEnv(), stdout: "pipe", stderr: "inherit" },
    );
    const deadline = setTimeout(() => client.kill(), 20_000);
    try {
      const text = await new Response(client.stdout).text();
      expect(text).toStartWith("HTTP/1.1 200");
      expect(text).toContain(first);
    } finally {
      clearTimeout(deadline);
      client.kill();
      await client.exited;
      server.stop(true);
    }
  });

  test("the bytes holding the end marker wait until the charge's record is answered when it goes to other nodes (a cluster node's); alone, for nothing", async () => {
    /** What ran in what order: the charge's record, made by `answered`, and the response's last write. */
    const order = async (shared: boolean) => {
      const seen: string[] = [];
      const ending = Promise.withResolvers<void>();
      const ends: StreamEnds = {
        firstByte() {},
        answered() {
          if (!shared) {
            queueMicrotask(() => seen.push("recorded"));
            return undefined;
          }
          // Answered a turn of the event loop later, as Redis answers at the soonest.
          const answered = Promise.withResolvers<void>();
          setImmediate(() => {
            seen.push("record answered");
            answered.resolve();
          });
          return answered.promise;
        },
        // Called in the same turn as the write of the last bytes (the source drained with them).
        closing: () => seen.push("last bytes"),
        end: () => ending.resolve(),
      };
      const chunks = drainedWith(
        'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n',
      );
      const response = sseResponse(chunks, "openai", {}, ends, chunks.ready?.());
      await response.text();
      await ending.promise;
      return seen;
    };
    expect(await order(true)).toEqual(["record answered", "last bytes"]);
    // One node records at once: nothing to wait for, no await a stream.
    expect(await order(false)).toEqual(["last bytes", "recorded"]);
  });

  test.each(["the charge's record (a cluster node's)", "a stored answer's save"])(
    "a client that hangs up while the bytes holding the end marker wait for %s did not have the whole answer: client_closed",
    async (holder) => {
      const reads = ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n', "data: [DONE]\n\n"];
      let at = 0;
      // The upstream sends the end marker and never closes its body (as one that is slow to).
      const upstream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = reads[at++];
          if (next !== undefined) controller.enqueue(encoder.encode(next));
          else return new Promise(() => {});
        },
      });
      const attempt = new Attempt(new AbortController().signal, TIMEOUTS, "a");
      const relay = new ByteRelay(upstream.getReader(), attempt, {
        provider: "a",
        maxLine: 1024,
        onUsage: () => true,
        done: () => {},
      });
      const held = Promise.withResolvers<undefined>();
      const holding = Promise.withResolvers<void>();
      const hold = () => {
        holding.resolve();
        return held.promise;
      };
      const byRecord = holder.includes("record");
      // A save begins with the end marker's read (relay.complete), which waits for it.
      const chunks = byRecord
        ? relay
        : new StoredBeforeEnd(relay, { saved: () => (relay.complete ? hold() : undefined) });
      const ending = Promise.withResolvers<GatewayError | undefined>();
      const ends: StreamEnds = {
        firstByte() {},
        answered: () => (byRecord ? hold() : undefined),
        closing() {},
        end: ending.resolve,
      };
      const response = sseResponse(chunks, "openai", {}, ends, undefined);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const read = reader.read();
      // The end marker is read and held: the client leaves before it has it.
      await holding.promise;
      await reader.cancel();
      await read;
      held.resolve(undefined);
      const error = await ending.promise;
      expect(error?.code).toBe("client_closed");
    },
  );

  test("the stream's end reaches the client before the request's own ending runs", async () => {
    // The end comes a turn after the first read, once the head is out (a stream already over
    // by then would be sent whole, with a Content-Length and no terminator).
    let read = 0;
    const chunks: ChunkSource = {
      reported: undefined,
      async next() {
        if (read++ === 0)
          return encoder.encode(
            'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n',
          );
        await new Promise((resolve) => setImmediate(resolve));
        return undefined;
      },
      cancel() {},
    };
    const { endedAt, heldUntil } = await whenTheEndArrives(chunks);
    expect(heldUntil).toBeGreaterThan(0);
    expect(endedAt).toBeLessThan(heldUntil);
  });

  test("a stream drained with the first read handed in reaches the client before the request's own ending runs", async () => {
    // The whole answer in the first read, the end with it (one the pipeline relays: captured, say).
    const body = `data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n${"data: {}\n\n".repeat(40)}data: [DONE]\n\n`;
    const { endedAt, heldUntil, wire } = await whenTheEndArrives(drainedWith(body));
    expect(heldUntil).toBeGreaterThan(0);
    expect(endedAt).toBeLessThan(heldUntil);
    expect(wire).toContain(body);
    expect(wire).toEndWith("0\r\n\r\n");
  });
});

/**
 * Serves `chunks` as an SSE response to a client in a process of its own that notes when the
 * response was complete (the chunked terminator arrived, or all of its declared length) and leaves
 * a mark file then. The request's ending holds this process until the mark is there (10 s at
 * most): the client can only have had the end while the ending held if it went out before the
 * ending ran, so `endedAt` before `heldUntil` holds however slow the machine, and an end written
 * after the ending arrives only after the 10 s. `wire` is everything the client read.
 */
async function whenTheEndArrives(
  chunks: ChunkSource,
): Promise<{ endedAt: number; heldUntil: number; wire: string }> {
  // The request's ending (usage, the audit record, the access line) holds this process.
  let heldUntil = 0;
  const mark = join(mkdtempSync(join(tmpdir(), "sse-end-")), "ended");
  const onEnd = () => {
    const deadline = Date.now() + 10_000;
    // stimulus: the busy ending, held until the client has the whole answer or the deadline
    while (!existsSync(mark) && Date.now() < deadline) Bun.sleepSync(5);
    heldUntil = Date.now();
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch() {
      await new Promise((resolve) => setImmediate(resolve));
      return sseResponse(chunks, "openai", {}, streamEnds(onEnd), chunks.ready?.());
    },
  });
  const client = Bun.spawn(
    [
      process.execPath,
      "-e",
      `let seen = "";
      const socket = await Bun.connect({ hostname: "127.0.0.1", port: ${server.port}, socket: {
        data(_s, data) {
          seen += data.toString();
          const head = seen.indexOf("\\r\\n\\r\\n");
          const length = /content-length: (\\d+)/i.exec(seen)?.[1];
          const complete = length === undefined
            ? seen.endsWith("0\\r\\n\\r\\n")
            : head !== -1 && seen.length - head - 4 >= Number(length);
          if (complete) {
            const endedAt = Date.now();
            require("node:fs").writeFileSync(${JSON.stringify(mark)}, "");
            process.stdout.write(endedAt + "\\n" + seen);
            process.exit(0);
          }
        } } });
      socket.write("GET / HTTP/1.1\\r\\nhost: 127.0.0.1\\r\\n\\r\\n");`,
    ],
    { env: childEnv(), stdout: "pipe", stderr: "inherit" },
  );
  const deadline = setTimeout(() => client.kill(), 20_000);
  try {
    const [endedAt, ...wire] = (await new Response(client.stdout).text()).split("\n");
    return { endedAt: Number(endedAt), heldUntil, wire: wire.join("\n") };
  } finally {
    clearTimeout(deadline);
    client.kill();
    await client.exited;
    server.stop(true);
    rmSync(dirname(mark), { recursive: true, force: true });
  }
}

/** An attempt that keeps its stream's client alive every `everyMs` (a route attempt's `stream_keepalive`). */
class KeptAlive extends Attempt {
  constructor(private readonly everyMs: number) {
    super(new AbortController().signal, TIMEOUTS, "a");
  }
  protected override get keepAliveMs(): number {
    return this.everyMs;
  }
}

describe("a quiet upstream", () => {
  test("the client is sent keep-alive comments between whole events: an event split across reads is held back whole", async () => {
    let upstream: ReadableStreamDefaultController<Uint8Array> | undefined;
    const reads = new ReadableStream<Uint8Array>({
      start(controller) {
        upstream = controller;
      },
    });
    const send = (text: string) => upstream?.enqueue(encoder.encode(text));
    const relay = new ByteRelay(reads.getReader(), new KeptAlive(20), {
      provider: "a",
      maxLine: 1024,
      onUsage: () => true,
      done: () => {},
    });
    send('data: {"a":1}\n\n');
    const started = await relay.start();
    const response = sseResponse(
      started,
      "openai",
      {},
      streamEnds(() => {}),
      started.ready(),
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const comments = () => text.split(": keep-alive\n\n").length - 1;
    const readUntil = async (what: string, done: () => boolean) => {
      while (!done()) {
        const read = await reader.read();
        if (read.done) throw new Error(`the stream ended before ${what}: ${JSON.stringify(text)}`);
        text += decoder.decode(read.value);
      }
    };
    await readUntil(
      "the first event and a comment",
      () => text.includes('data: {"a":1}\n\n') && comments() > 0,
    );
    // Half an event, its rest to come: the upstream is quiet, and the comments go on around it.
    send('data: {"b"');
    const before = comments();
    await readUntil("two comments more", () => comments() >= before + 2);
    send(":2}\n\n");
    await readUntil("the split event", () => text.includes(":2}"));
    send("data: [DONE]\n\n");
    upstream?.close();
    await readUntil("the end", () => text.includes("[DONE]"));
    expect((await reader.read()).done).toBe(true);
    // On the wire, every comment stands between two whole events.
    const pieces = text.split("\n\n").filter((piece) => piece !== "");
    expect(pieces.filter((piece) => piece !== ": keep-alive")).toEqual([
      'data: {"a":1}',
      'data: {"b":2}',
      "data: [DONE]",
    ]);
    expect(pieces.length).toBeGreaterThanOrEqual(6);
  });
});

/** The data of a stream's last event, parsed. */
function tail(text: string): unknown {
  const last = text.trim().split("\n\n").at(-1) ?? "";
  return JSON.parse(last.slice(last.indexOf("data: ") + 6));
}
