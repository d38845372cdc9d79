import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import {
  ANTHROPIC_STREAM,
  body,
  CHUNK,
  decode,
  encoder,
  FINISH,
  OPENAI_STREAM,
  readAll,
  readUntilError,
  relay,
  splitAt,
  text,
  USAGE_CHUNK,
  upstream,
} from "./byte-relay-fixture.ts";

// How a relay fails: an error event, a stream cut off or malformed, a line past its bound, an
// upstream gone quiet, a client gone. The events before the fault are relayed; the attempt is
// released once.

describe("ByteRelay: faults", () => {
  test("an error event after the first event is relayed and reported; an in-band OpenAI error chunk too", async () => {
    const anthropic = relay(
      upstream([
        encoder.encode(ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf("event: content_block_start"))),
        encoder.encode('event: error\ndata: {"type":"error","error":{"type":"overloaded_error"}}\n\n'),
      ]),
      "anthropic",
    );
    expect(text(await readAll(anthropic.source))).toContain("overloaded_error");
    expect(anthropic.source.reported?.code).toBe("upstream_error");
    const chat = relay(
      upstream([encoder.encode(CHUNK(0)), encoder.encode('data: {"error":{"message":"boom"}}\n\n')]),
      "openai",
    );
    expect(text(await readAll(chat.source))).toContain("boom");
    expect(chat.source.reported?.status).toBe(502);
    const clean = relay(upstream([encoder.encode(OPENAI_STREAM)]), "openai");
    await readAll(clean.source);
    expect(clean.source.reported).toBeUndefined();
  });

  test("an error as the stream's first event fails the attempt, in the upstream's words, for the router to retry", async () => {
    // Nothing has reached the client: retrying or failing over is still safe (SPEC: Routing). An
    // error after the first event is the stream's end, relayed (as the translating relay does).
    for (const [whole, dialect, status, type] of [
      [
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
        "anthropic",
        502,
        "overloaded_error",
      ],
      [
        ': keep-alive\n\ndata: {"error":{"message":"boom","type":"server_error"}}\n\n',
        "openai",
        502,
        "server_error",
      ],
      [
        'event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}\n\n',
        "anthropic",
        429,
        "rate_limit_error",
      ],
    ] as const) {
      const up = upstream([encoder.encode(whole)]);
      const { source, done } = relay(up, dialect);
      const failure = await Promise.resolve()
        .then(() => source.start())
        .then(
          () => undefined,
          (error: GatewayError) => error,
        );
      expect(failure?.status).toBe(status);
      expect(failure?.retryable).toBe(true);
      expect(failure?.upstream?.type).toBe(type);
      // The attempt ends once; the upstream's body, read to its end, needs no cancel.
      expect(done()).toBe(1);
    }
  });

  // What opens an answer in each dialect before anything of it (answer-opening.ts), and the error
  // an upstream sends right after: Anthropic's overloaded_error after message_start
  // (anthropics/anthropic-sdk-python#688), a server error after OpenAI's role chunk, the Responses
  // API's error after response.created and response.in_progress (its fields at the top, a rate
  // limit a 429). Each with what the attempt fails with: the upstream's status and words.
  const OPENINGS = [
    [
      "anthropic",
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"usage":{"input_tokens":20,"output_tokens":1}}}\n\nevent: ping\ndata: {"type": "ping"}\n\n',
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n',
      [502, "Overloaded"],
    ],
    [
      "openai",
      'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}\n\n',
      'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}\n\n',
      CHUNK(0),
      [502, "The server had an error while processing your request."],
    ],
    [
      "openai",
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\nevent: response.in_progress\ndata: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\n',
      'event: error\ndata: {"type":"error","code":"server_error","message":"The server had an error","sequence_number":2}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hi","sequence_number":2}\n\n',
      [502, "The server had an error"],
    ],
    [
      "openai",
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\nevent: response.in_progress\ndata: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\n',
      'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Rate limit reached for gpt-4o","param":null,"sequence_number":2}\n\n',
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"hi","sequence_number":2}\n\n',
      [429, "Rate limit reached for gpt-4o"],
    ],
  ] as const;

  test("an error right after the answer's opening (message_start, a role chunk, response.created) fails the attempt with nothing sent, for the router to retry or fail over (at every split)", async () => {
    for (const [dialect, opening, error, _first, [status, message]] of OPENINGS) {
      const whole = `: keep-alive\n\n${opening}${error}`;
      const length = encoder.encode(whole).length;
      for (let i = 1; i <= length; i++) {
        const { source, done } = relay(upstream(splitAt(whole, i)), dialect);
        const failure = await Promise.resolve()
          .then(() => source.start())
          .then(
            () => undefined,
            (thrown: GatewayError) => thrown,
          );
        // In the upstream's words, retryable: nothing of the attempt reached the client.
        expect([i, failure?.status, failure?.retryable, failure?.message]).toEqual([
          i,
          status,
          true,
          message,
        ]);
        expect(done()).toBe(1);
      }
      // The body ends right after the error event, without its blank line (or its last newline):
      // the event is whole all the same, and fails the attempt alike, in one read or after the opening's.
      for (const cut of [1, 2])
        for (const reads of [[whole.slice(0, -cut)], [opening, error.slice(0, -cut)]]) {
          const { source, done } = relay(upstream(reads.map((read) => encoder.encode(read))), dialect);
          const failure = await Promise.resolve()
            .then(() => source.start())
            .then(
              () => undefined,
              (thrown: GatewayError) => thrown,
            );
          expect([cut, reads.length, failure?.status, failure?.message]).toEqual([
            cut,
            reads.length,
            status,
            message,
          ]);
          expect(done()).toBe(1);
        }
    }
  });

  test("a Responses stream's response.failed right after its opening fails the attempt with nothing sent, in the upstream's words (at every split)", async () => {
    // OpenAI reports a server error so: the stream's end, but nothing of the answer came.
    const opening =
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\n';
    const failed =
      'event: response.failed\ndata: {"type":"response.failed","sequence_number":1,"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"An error occurred while processing your request."},"usage":null}}\n\n';
    const whole = `${opening}${failed}`;
    const length = encoder.encode(whole).length;
    for (let i = 1; i <= length; i++) {
      const { source, done } = relay(upstream(splitAt(whole, i)), "openai");
      const failure = await Promise.resolve()
        .then(() => source.start())
        .then(
          () => undefined,
          (thrown: GatewayError) => thrown,
        );
      expect([i, failure?.status, failure?.retryable, failure?.message, failure?.upstream?.code]).toEqual([
        i,
        502,
        true,
        "An error occurred while processing your request.",
        "server_error",
      ]);
      expect(done()).toBe(1);
    }
  });

  test("a stream that ends after its opening alone fails with nothing sent; a malformed event after it too", async () => {
    for (const [dialect, opening] of OPENINGS) {
      for (const [after, said] of [
        ["", "without its end marker"],
        ["data: <html>502 Bad Gateway</html>\n\n", "malformed stream event"],
      ] as const) {
        const { source, done } = relay(upstream([encoder.encode(`${opening}${after}`)]), dialect);
        const failure = await Promise.resolve()
          .then(() => source.start())
          .then(
            () => undefined,
            (thrown: GatewayError) => thrown,
          );
        expect(failure?.message).toContain(said);
        expect(done()).toBe(1);
      }
    }
  });

  test("the answer's opening goes out with its first event, in one write, however the reads fell (at every split)", async () => {
    for (const [dialect, opening, _error, first] of OPENINGS) {
      const whole = `${opening}${first}`;
      const length = encoder.encode(whole).length;
      for (let i = 1; i <= length; i++) {
        const { source } = relay(
          upstream([...splitAt(whole, i), encoder.encode(OPENAI_STREAM)], true),
          dialect,
        );
        await source.start();
        // The first bytes for the client: the opening and the answer's first event, whole.
        expect([i, decode(source.ready())]).toEqual([i, whole]);
        source.cancel();
      }
    }
  });

  test("llama.cpp's `error:` field (before 2025): first, it fails the attempt in its words; after the answer began, it goes out as OpenAI's error chunk and the attempt ends failed (the record's 502)", async () => {
    const failure = '{"code":500,"message":"llama_decode failed: out of KV cache","type":"server_error"}';
    const early = relay(upstream([encoder.encode(`error: ${failure}\n\ndata: [DONE]\n\n`)]), "openai");
    const refused = await Promise.resolve()
      .then(() => early.source.start())
      .then(
        () => undefined,
        (error: GatewayError) => error,
      );
    // As a first OpenAI error chunk of a server error would (its own 500 kept for a same-dialect caller).
    expect([refused?.status, refused?.upstream?.status, refused?.message, refused?.retryable]).toEqual([
      502,
      500,
      "llama_decode failed: out of KV cache",
      true,
    ]);
    const late = relay(
      upstream([encoder.encode(CHUNK(0)), encoder.encode(`error: ${failure}\n\ndata: [DONE]\n\n`)]),
      "openai",
    );
    const { out, error } = await readUntilError(late.source);
    expect(error).toBeUndefined();
    expect(text(out)).toBe(`${CHUNK(0)}data: {"error":${failure}}\n\ndata: [DONE]\n\n`);
    expect([late.failure()?.status, late.failure()?.message]).toEqual([
      502,
      "the stream ended with an error event",
    ]);
  });

  test("an error after the answer began is relayed, and the attempt ends failed with it (the record's 502)", async () => {
    for (const [dialect, opening, error, first] of OPENINGS) {
      const { source, failure } = relay(upstream([encoder.encode(`${opening}${first}${error}`)]), dialect);
      const { out, error: thrown } = await readUntilError(source);
      expect(thrown).toBeUndefined();
      expect(text(out)).toBe(`${opening}${first}${error}`);
      expect([failure()?.status, failure()?.message]).toEqual([502, "the stream ended with an error event"]);
    }
    // An error chunk with the end marker after it (vLLM ends a failed stream so), the body's end in
    // the same read or the next: the attempt failed all the same.
    const [, opening, error, first] = OPENINGS[1];
    for (const reads of [
      [`${opening}${first}`, `${error}data: [DONE]\n\n`],
      [`${opening}${first}${error}data: [DONE]\n\n`],
    ]) {
      const { source, failure } = relay(upstream(reads.map((read) => encoder.encode(read))), "openai");
      await readUntilError(source);
      expect([reads.length, source.reported?.status, failure()?.status]).toEqual([reads.length, 502, 502]);
    }
    const clean = relay(upstream([encoder.encode(OPENAI_STREAM)]), "openai");
    await readAll(clean.source);
    expect(clean.failure()).toBeUndefined();
  });

  test("a client that hangs up after the error event (as the SDKs do), the upstream's body still open: the attempt failed with it, not ok", async () => {
    for (const [dialect, opening, error, first] of OPENINGS) {
      const { source, failure, done } = relay(
        upstream([encoder.encode(`${opening}${first}`), encoder.encode(error)], true),
        dialect,
      );
      await source.start();
      expect(decode(source.ready())).toBe(`${opening}${first}`);
      expect(decode(await source.next())).toBe(error);
      source.cancel();
      expect([done(), failure()]).toEqual([1, source.reported]);
      expect(failure()?.status).toBe(502);
    }
  });

  test("a Responses stream's response.failed after the answer began is relayed, and the attempt ends failed with it (the record's 502, at every split)", async () => {
    // How OpenAI reports a server error once output has streamed: the stream's end marker, a
    // failure all the same, as an error event there is (the test above).
    const answer =
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[]}}\n\n' +
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","output_index":0,"delta":"hi","sequence_number":1}\n\n';
    const failed =
      'event: response.failed\ndata: {"type":"response.failed","sequence_number":2,"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"An error occurred while processing your request."},"usage":null}}\n\n';
    const completed =
      'event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","status":"completed","output":[],"usage":null}}\n\n';
    const whole = `${answer}${failed}`;
    for (let i = 1; i <= encoder.encode(whole).length; i++) {
      const { source, failure, done } = relay(upstream(splitAt(whole, i)), "openai");
      const { out, error } = await readUntilError(source);
      expect(error).toBeUndefined();
      expect(text(out)).toBe(whole);
      // The request's record (http/sse-response.ts) and the attempt's alike.
      expect([i, source.reported?.status, failure()?.status, failure()?.message]).toEqual([
        i,
        502,
        502,
        "the stream ended with a failed response",
      ]);
      expect(done()).toBe(1);
    }
    // The same stream completed is a success.
    const clean = relay(upstream([encoder.encode(`${answer}${completed}`)]), "openai");
    await readAll(clean.source);
    expect(clean.failure()).toBeUndefined();
  });

  test("a stream cut off before its answer's finish is relayed, then fails (at every split)", async () => {
    // A finish reason of null, or one inside a string (escaped), is no finish.
    const quoted = CHUNK(1).replace('"w1"', '"say \\"finish_reason\\":\\"stop\\""');
    for (const [whole, dialect] of [
      [`${CHUNK(0)}${quoted}${FINISH(null)}`, "openai"],
      [ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf("event: message_delta")), "anthropic"],
    ] as const) {
      const length = encoder.encode(whole).length;
      for (let i = 1; i <= length; i++) {
        const { source } = relay(upstream(splitAt(whole, i)), dialect);
        const { out, error } = await readUntilError(source);
        expect(text(out)).toBe(whole);
        expect(error?.code).toBe("upstream_error");
        expect(error?.message).toContain("without its end marker");
      }
    }
  });

  test("an answer whose finish went by is complete without its end marker: the marker is added (at every split)", async () => {
    const MESSAGE_STOP = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';
    for (const [whole, dialect, marker] of [
      [`${CHUNK(0)}${FINISH('"stop"')}${USAGE_CHUNK}`, "openai", "data: [DONE]\n\n"],
      // Spaced as Python's json.dumps writes it.
      [
        `${CHUNK(0)}${FINISH('"length"').replace('"finish_reason":', '"finish_reason" : ')}`,
        "openai",
        "data: [DONE]\n\n",
      ],
      [ANTHROPIC_STREAM.replace(MESSAGE_STOP, ""), "anthropic", MESSAGE_STOP],
    ] as const) {
      const length = encoder.encode(whole).length;
      for (let i = 1; i <= length; i++) {
        const { source, done } = relay(upstream(splitAt(whole, i)), dialect);
        const { out, error } = await readUntilError(source);
        expect([i, error]).toEqual([i, undefined]);
        expect(text(out)).toBe(`${whole}${marker}`);
        expect(source.complete).toBe(true);
        expect(done()).toBe(1);
      }
    }
  });

  test("an end marker after content is whole without the answer's finish, as on a translated stream", async () => {
    const MESSAGE_DELTA = ANTHROPIC_STREAM.split("\n\n").find((e) => e.startsWith("event: message_delta"));
    for (const [whole, dialect] of [
      [`${CHUNK(0)}${CHUNK(1)}data: [DONE]\n\n`, "openai"],
      [ANTHROPIC_STREAM.replace(`${MESSAGE_DELTA}\n\n`, ""), "anthropic"],
    ] as const) {
      const { source, done } = relay(upstream([encoder.encode(whole)]), dialect);
      const { out, error } = await readUntilError(source);
      expect(error).toBeUndefined();
      expect(text(out)).toBe(whole);
      expect(source.complete).toBe(true);
      expect(done()).toBe(1);
    }
  });

  test("a malformed event is not relayed: the events before it are, then the stream fails", async () => {
    // Not JSON at all; and a complete event whose object was cut off mid-write, the rest of the
    // stream sent on after it (its data does not end with the object's `}`), unnamed or named.
    for (const [broken, dialect] of [
      ["data: <html>502 Bad Gateway</html>\n\n", "openai"],
      ['data: {"id":"x","choices":[{"index":0,"delta":{"content":" wor\n\n', "openai"],
      [
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" wor\n\n',
        "anthropic",
      ],
      // Data on several lines, as the client would join them.
      ['data: {"id":"x",\ndata: "choices":[\n\n', "openai"],
    ] as const) {
      const whole = `${CHUNK(0)}${broken}${CHUNK(1)}data: [DONE]\n\n`;
      const { source, done } = relay(upstream([encoder.encode(whole)]), dialect);
      await source.start();
      expect(decode(await source.next())).toBe(CHUNK(0));
      const error = (await source.next().catch((e: unknown) => e)) as GatewayError;
      expect([broken, error.code, error.message]).toEqual([
        broken,
        "upstream_error",
        "upstream a sent a malformed stream event",
      ]);
      expect(done()).toBe(1);
    }
  });

  test("an object whose data ends in spaces, or spans several data lines, is relayed as it came", async () => {
    const whole = `${CHUNK(0).replace("}\n\n", "} \t\n\n")}data: {"id":"c",\ndata: "choices":[]}\n\n${CHUNK(1)}data: [DONE]\n\n`;
    const { source } = relay(upstream([encoder.encode(whole)]), "openai");
    const { out, error } = await readUntilError(source);
    expect(error).toBeUndefined();
    expect(text(out)).toBe(whole);
  });

  test("a line past the bound: the events before it are relayed, then the stream fails (at every split)", async () => {
    const events = `${CHUNK(0)}${CHUNK(1)}`;
    const whole = `${events}data: {"endless":"${"x".repeat(5000)}`;
    for (const at of [whole.length, events.length + 10, 1, 50, CHUNK(0).length, events.length]) {
      const { source, done } = relay(upstream(splitAt(whole, at)), "openai");
      const { out, error } = await readUntilError(source);
      expect(text(out)).toBe(events);
      expect(error?.message).toBe("upstream a sent an event-stream line longer than 4096 bytes");
      expect(done()).toBe(1);
    }
  });

  test("a whole line one byte past the bound fails the stream as one still arriving does, in one read or split around the bound", async () => {
    const events = `${CHUNK(0)}${CHUNK(1)}`;
    // An everyday chunk whose data line is 4,097 bytes, its finish and [DONE] after it.
    const head =
      'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"';
    const tail = '"}}]}';
    const long = `${head}${"x".repeat(4097 - head.length - tail.length)}${tail}`;
    expect(encoder.encode(long).length).toBe(4097);
    const whole = `${events}${long}\n\n${FINISH('"stop"')}data: [DONE]\n\n`;
    const bound = events.length + 4096;
    for (const at of [whole.length, bound - 1, bound, bound + 1, bound + 2, events.length + 1, 1]) {
      const { source, done } = relay(upstream(splitAt(whole, at)), "openai");
      const { out, error } = await readUntilError(source);
      expect([at, text(out)]).toEqual([at, events]);
      expect(error?.message).toBe("upstream a sent an event-stream line longer than 4096 bytes");
      expect(done()).toBe(1);
    }
  });

  test("a worker's line past the bound names the worker, as its other failures do", async () => {
    const events = CHUNK(0);
    const { source } = relay(
      upstream([encoder.encode(`${events}data: {"endless":"${"x".repeat(5000)}`)]),
      "openai",
      {
        provider: "worker:gpu-1",
      },
    );
    const { out, error } = await readUntilError(source);
    expect(text(out)).toBe(events);
    expect(error?.message).toBe("worker gpu-1 sent an event-stream line longer than 4096 bytes");
  });

  test("a line past the bound before any event: the relay fails at its start", async () => {
    const { source } = relay(upstream([encoder.encode(`data: {"endless":"${"x".repeat(5000)}`)]), "openai");
    const error = (await Promise.resolve()
      .then(() => source.start())
      .catch((e: unknown) => e)) as GatewayError;
    expect(error.message).toBe("upstream a sent an event-stream line longer than 4096 bytes");
  });

  test("bytes that never complete an event do not hold off the idle bound", async () => {
    // One whole event, then half of one that never finishes, a byte at a time.
    let reads = 0;
    const trickle = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (reads++ === 0) return controller.enqueue(encoder.encode(`${CHUNK(0)}data: {"partial`));
        await Bun.sleep(2); // stimulus: the trickle, a byte every 2 ms, well inside the idle bound
        controller.enqueue(encoder.encode("x"));
      },
    });
    const { source, attempt } = relay(body(trickle), "openai", { idleMs: 30 });
    await source.start();
    await source.next();
    const error = (await source.next().catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe("upstream_timeout");
    expect(error.message).toContain("the next chunk");
    expect(attempt.signal.aborted).toBe(true);
  });

  test("cancel stops the upstream read and releases the attempt once", async () => {
    const up = upstream([encoder.encode(CHUNK(0))], true);
    const { source, attempt, done } = relay(up, "openai");
    await source.start();
    expect(decode(await source.next())).toBe(CHUNK(0));
    const pending = source.next();
    source.cancel();
    source.cancel();
    expect(await pending.catch((e: unknown) => (e as GatewayError).code)).toBe("client_closed");
    expect(attempt.signal.aborted).toBe(true);
    expect(up.cancelled).toBe(true);
    expect(done()).toBe(1);
  });
});
