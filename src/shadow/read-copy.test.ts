import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE } from "../core/sse.ts";
import { AnswerStream } from "./answer.ts";
import { copyFailure, failed, readCopy } from "./read-copy.ts";
import { SseAnswerReader } from "./sse-answer-reader.ts";

const encoder = new TextEncoder();
const target = (stream: boolean, dialect: "openai" | "anthropic" = "openai") => ({
  label: "provider:twin",
  dialect,
  operation: dialect === "anthropic" ? ("messages" as const) : ("chat" as const),
  stream,
});

/** An answer whose body sends `first`, then breaks as a dropped connection does. */
function cutAnswer(first: string, contentType: string): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) controller.error(new TypeError("The socket connection was closed unexpectedly"));
      else controller.enqueue(encoder.encode(first));
      sent = true;
    },
  });
  return new Response(body, { headers: { "content-type": contentType } });
}

const failureOf = (answer: Response, stream: boolean, signal = new AbortController().signal) =>
  readCopy(answer, target(stream), signal, { started: performance.now(), ttftMs: null }).then(
    () => undefined,
    (error: unknown) => error,
  );

/** A stream that ends cleanly after `events`, as an upstream's body does. */
const streamOf = (events: string[]) =>
  new Response(events.join(""), { headers: { "content-type": "text/event-stream" } });

const readStream = (events: string[], dialect: "openai" | "anthropic" = "openai") =>
  readCopy(streamOf(events), target(true, dialect), new AbortController().signal, {
    started: performance.now(),
    ttftMs: null,
  }).then(
    (outcome) => ({ outcome, error: undefined }),
    (error: unknown) => ({ outcome: undefined, error }),
  );

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
const named = (type: string, body: Record<string, unknown> = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
const textDelta = (text: string) =>
  named("content_block_delta", { index: 0, delta: { type: "text_delta", text } });

describe("readCopy", () => {
  test("a stream the upstream cuts mid-way is its failure (502 upstream_error), not the gateway's 500", async () => {
    const error = await failureOf(cutAnswer('data: {"choices":[]}\n\n', "text/event-stream"), true);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect((error as GatewayError).message).toContain("upstream twin closed the connection mid-stream");
  });

  test("so is a whole body cut mid-way", async () => {
    const error = await failureOf(cutAnswer('{"choices":', "application/json"), false);
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
  });

  test("a copy cut by its own signal keeps the reason it was given", async () => {
    const controller = new AbortController();
    controller.abort(new Error("shadow deadline"));
    const error = await failureOf(
      cutAnswer('data: {"choices":[]}\n\n', "text/event-stream"),
      true,
      controller.signal,
    );
    expect(error).not.toBeInstanceOf(GatewayError);
  });

  test("a shadow upstream's error is recorded with its own status, not the 502 a client would get", async () => {
    const overloaded = JSON.stringify({ error: { message: "overloaded", type: "server_error" } });
    for (const status of [500, 503, 429]) {
      const error = await failureOf(
        new Response(overloaded, { status, headers: { "content-type": "application/json" } }),
        false,
      );
      expect(error).toBeInstanceOf(GatewayError);
      const outcome = failed(error as GatewayError);
      expect(outcome.status).toBe(status);
      // Its span and count say the same.
      expect(copyFailure(outcome)?.message).toBe(`the shadow copy failed with ${status}`);
    }
    // A failure of the gateway's own keeps its status: no upstream answered it.
    const cut = await failureOf(cutAnswer('{"choices":', "application/json"), false);
    expect(failed(cut as GatewayError)).toMatchObject({ status: 502, errorClass: "upstream_error" });
  });

  // As the primary's relay judges its stream (docs/CLIENTS.md "When a stream is whole").
  describe("a same-dialect stream is whole, or fails as the primary's would", () => {
    test("OpenAI: whole with [DONE], or after a finish_reason with only [DONE] missing", async () => {
      const whole = await readStream([chunk("hi"), chunk("!", "stop"), "data: [DONE]\n\n"]);
      expect(whole.outcome).toMatchObject({ status: 200, answer: { text: "hi!" } });
      const unmarked = await readStream([chunk("hi"), chunk("!", "stop")]);
      expect(unmarked.outcome).toMatchObject({ status: 200, answer: { text: "hi!" } });
    });

    test("OpenAI: a stream that ends before its finish is cut short: 502 upstream_error", async () => {
      const { error } = await readStream([chunk("hi"), chunk(" there")]);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ status: 502, code: "upstream_error" });
      expect((error as GatewayError).message).toBe("upstream twin ended the stream without its end marker");
    });

    // Read in its dialect, as the primary's record reads it (http/stream-failure-status.ts).
    test("OpenAI: an error event mid-stream fails the copy with the upstream's status and words, [DONE] after it or not", async () => {
      const failure = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
      for (const events of [
        [chunk("hi"), failure],
        [chunk("hi"), failure, "data: [DONE]\n\n"],
      ]) {
        const { error } = await readStream(events);
        expect(error).toBeInstanceOf(GatewayError);
        expect(failed(error as GatewayError)).toMatchObject({ status: 500, errorClass: "upstream_error" });
        expect((error as GatewayError).message).toBe("overloaded");
      }
    });

    test("Anthropic: whole with message_stop, or after message_delta; cut short before it", async () => {
      const start = [named("message_start", { message: { usage: { input_tokens: 3 } } }), textDelta("hi")];
      const delta = named("message_delta", { delta: { stop_reason: "end_turn" } });
      const whole = await readStream([...start, delta, named("message_stop")], "anthropic");
      expect(whole.outcome).toMatchObject({ status: 200, answer: { text: "hi" } });
      const unmarked = await readStream([...start, delta], "anthropic");
      expect(unmarked.outcome).toMatchObject({ status: 200 });
      const cut = await readStream(start, "anthropic");
      expect(cut.error).toMatchObject({ status: 502, code: "upstream_error" });
      expect((cut.error as GatewayError).message).toContain("ended the stream without its end marker");
    });

    test("Anthropic: an error event fails the copy, an overload its 529", async () => {
      const overloaded = named("error", { error: { type: "overloaded_error", message: "busy" } });
      const { error } = await readStream([named("message_start"), textDelta("hi"), overloaded], "anthropic");
      expect(error).toBeInstanceOf(GatewayError);
      expect(failed(error as GatewayError)).toMatchObject({ status: 529, errorClass: "upstream_error" });
      expect((error as GatewayError).message).toBe("busy");
    });

    test("a stream's answer is held up to the bound on a whole answer, then the copy fails as a whole one past it does", async () => {
      const bound = 64 * 1024;
      const piece = "x".repeat(1000);
      // Four times the bound, then a proper end: read whole, it would be an answer.
      let sent = 0;
      let cancelled = false;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 4 * bound) {
            controller.enqueue(encoder.encode(chunk("", "stop")));
            controller.close();
            return;
          }
          sent += piece.length;
          controller.enqueue(encoder.encode(chunk(piece)));
        },
        cancel() {
          cancelled = true;
        },
      });
      const answer = new Response(body, { headers: { "content-type": "text/event-stream" } });
      const clock = { started: performance.now(), ttftMs: null };
      const error = await readCopy(answer, target(true), new AbortController().signal, clock, bound).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toMatchObject({ status: 502, code: "upstream_error" });
      expect((error as GatewayError).message).toBe(
        `upstream twin sent an answer larger than ${bound} bytes (routing.max_upstream_body)`,
      );
      // Reading stopped there: the upstream was let go with no more than a read past the bound sent.
      expect(cancelled).toBe(true);
      expect(sent).toBeLessThan(bound + 8 * piece.length);
    });

    test("a streamed Responses answer just under the bound is read: its completed event's text is the answer its deltas sent, counted once", async () => {
      const bound = 200 * 1024;
      const piece = "x".repeat(1000);
      // Just under the bound with its completed event's envelope; its deltas and the completed
      // event's repeat of them together are near twice it.
      const whole = piece.repeat(Math.floor((bound - 2048) / piece.length));
      const event = (type: string, body: Record<string, unknown>) =>
        `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
      const completed = event("response.completed", {
        response: {
          id: "resp_1",
          object: "response",
          status: "completed",
          output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text: whole }] }],
        },
      });
      expect(completed.length).toBeLessThan(bound);
      // Sent a thousand characters a read: the completed event gathers unread while the deltas' text is held.
      const wire = [
        ...Array.from({ length: whole.length / piece.length }, () =>
          event("response.output_text.delta", { delta: piece }),
        ),
        ...Array.from({ length: Math.ceil(completed.length / piece.length) }, (_, i) =>
          completed.slice(i * piece.length, (i + 1) * piece.length),
        ),
      ];
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = wire.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(encoder.encode(next));
        },
      });
      const answer = new Response(body, { headers: { "content-type": "text/event-stream" } });
      const responses = { ...target(true), operation: "responses" as const };
      const outcome = await readCopy(
        answer,
        responses,
        new AbortController().signal,
        { started: performance.now(), ttftMs: null },
        bound,
      );
      expect(outcome.status).toBe(200);
      expect(outcome.answer?.text).toBe(whole);
    });

    test("what a stream's reader holds is counted in characters: its unread text, the answer's text and tool calls", () => {
      const reader = new SseAnswerReader("chat", "openai");
      const call = { index: 0, id: "c", function: { name: "look", arguments: '{"q":1}' } };
      const tool = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [call] } }] })}\n\n`;
      reader.push(chunk("hello"));
      expect(reader.held).toBe(chunk("hello").length);
      // Past a slice the events are read: the answer's characters are what stays held.
      reader.push(chunk("x".repeat(70 * 1024)) + tool);
      expect(reader.held).toBe("hello".length + 70 * 1024 + "look".length + '{"q":1}'.length);
    });

    test("a stream of CRLF lines (sse-starlette's) is read a slice at a time as an LF one is: its answer held, not its wire", async () => {
      const crlf = (text: string) => text.replaceAll("\n", "\r\n");
      const reader = new SseAnswerReader("chat", "openai");
      reader.push(crlf(chunk("hello")));
      reader.push(crlf(chunk("x".repeat(70 * 1024))));
      expect(reader.held).toBe("hello".length + 70 * 1024);
      // A copy whose wire is past the bound on a whole answer, its answer well within it, is read.
      const bound = 128 * 1024;
      const piece = "0123456789";
      const events = Array.from({ length: 4000 }, () => crlf(chunk(piece)));
      events.push(crlf(chunk("", "stop")), crlf("data: [DONE]\n\n"));
      expect(events.join("").length).toBeGreaterThan(2 * bound);
      const outcome = await readCopy(
        streamOf(events),
        target(true),
        new AbortController().signal,
        { started: performance.now(), ttftMs: null },
        bound,
      );
      expect(outcome.status).toBe(200);
      expect(outcome.answer?.text).toBe(piece.repeat(4000));
    });

    test("a Responses answer read from its events is held once: its completed event's answer, its deltas let go", () => {
      const reader = new AnswerStream("responses");
      reader.take({ type: "response.output_text.delta", delta: "hello" });
      expect(reader.held).toBe("hello".length);
      const output = [{ type: "message", content: [{ type: "output_text", text: "hello" }] }];
      reader.take({ type: "response.completed", response: { status: "completed", output } });
      expect(reader.held).toBe("hello".length);
      expect(reader.answer().text).toBe("hello");
    });

    test("a malformed event fails the copy as it stops the primary's relay", async () => {
      const { error } = await readStream([chunk("hi"), "data: <html>\n\n", chunk("!", "stop")]);
      expect(error).toMatchObject({ status: 502, code: "upstream_error" });
      expect((error as GatewayError).message).toBe("upstream twin sent a malformed stream event");
    });

    test("a line past the event-stream bound fails the copy naming its upstream, as its other failures do", async () => {
      const long = `data: "${"x".repeat(DEFAULT_MAX_SSE_LINE)}"`;
      const said = `upstream twin sent an event-stream line longer than ${DEFAULT_MAX_SSE_LINE} bytes`;
      // Mid-stream, and as the stream's last bytes (found only when the body ends).
      for (const events of [
        [chunk("hi"), `${long}\n\n`, chunk("!", "stop")],
        [chunk("hi"), long],
      ]) {
        const { error } = await readStream(events);
        expect(error).toMatchObject({ status: 502, code: "upstream_error" });
        expect((error as GatewayError).message).toBe(said);
      }
    });
  });
});
