import { expect, test } from "bun:test";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { JsonObject } from "../core/dialect.ts";
import { Attempt } from "./attempt.ts";
import { type NativeReplyContext, readNativeReply } from "./native-reply.ts";

// An answer's chunk: a stream of chunks without a choice holds no answer (relay-scan.ts), and fails.
const STREAM =
  'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';

/** A stream answer whose bytes are all sent but whose end never comes (the connection stays open). */
function answer(headers: Record<string, string>): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return new Promise<void>(() => {});
      sent = true;
      controller.enqueue(new TextEncoder().encode(STREAM));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", ...headers } });
}

function context(): NativeReplyContext {
  const timeouts = { connectMs: 5_000, firstByteMs: 5_000, idleMs: 5_000 };
  return {
    dialect: "openai",
    operation: "chat",
    provider: "a",
    attempt: new Attempt(new AbortController().signal, timeouts, "a"),
    stream: true,
    maxBody: 1 << 20,
    maxLine: 1 << 16,
    onBody: () => {},
    onUsage: () => true,
    done: () => {},
  };
}

async function chunksOf(response: Response): Promise<ChunkSource> {
  const reply = await readNativeReply(response, context());
  if (reply.kind !== "stream") throw new Error(`a stream was expected, not ${reply.kind}`);
  return reply.chunks;
}

test("a stream whose declared length is all in ends with its end marker: its end is not waited for", async () => {
  const length = String(new TextEncoder().encode(STREAM).length);
  const chunks = await chunksOf(answer({ "content-length": length }));
  expect(chunks.drained).toBe(true);
  expect(new TextDecoder().decode(chunks.ready?.())).toBe(STREAM);
});

test("a declared length is not trusted for a body decoded on the way, nor when absent", async () => {
  const length = String(new TextEncoder().encode(STREAM).length);
  const cases: Record<string, string>[] = [{ "content-length": length, "content-encoding": "gzip" }, {}];
  for (const headers of cases) {
    const chunks = await chunksOf(answer(headers));
    expect(chunks.drained).toBe(false);
    expect(new TextDecoder().decode(chunks.ready?.())).toBe(STREAM);
    chunks.cancel();
  }
});

test("a whole Responses answer to a chain the gateway expanded says the caller's previous_response_id where the upstream said null, every other byte as sent; the body stored says it too", async () => {
  const pretty = (previous: string) =>
    `{\n  "id": "resp_2",\n  "object": "response",\n  "previous_response_id": ${previous},\n  "output": []\n}`;
  const stored: unknown[] = [];
  const reply = await readNativeReply(
    new Response(pretty("null"), { headers: { "content-type": "application/json" } }),
    {
      ...context(),
      operation: "responses",
      stream: false,
      previousId: "resp_1",
      onBody: (body) => stored.push(body),
    },
  );
  if (reply.kind !== "bytes") throw new Error(`bytes were expected, not ${reply.kind}`);
  expect(new TextDecoder().decode(reply.body)).toBe(pretty('"resp_1"'));
  expect(stored).toEqual([{ id: "resp_2", object: "response", previous_response_id: "resp_1", output: [] }]);
});

test("a whole Responses answer whose schemas name the key before the response's own: only the response's null is said, in its bytes and its parse; another id at the top edits nothing", async () => {
  // An upstream that writes `output` and `tools` first: an `mcp_list_tools` item's schema and a
  // function tool's parameters name `previous_response_id` too, one of them as null.
  const schema =
    '{"type":"object","properties":{"previous_response_id":{"type":"string"}},"examples":[{"previous_response_id":null}]}';
  const body = (previous: string) =>
    `{"id":"resp_2","output":[{"type":"mcp_list_tools","tools":[{"name":"chain","input_schema":${schema}}]}],"tools":[{"type":"function","name":"chain","parameters":${schema}}],"previous_response_id": ${previous}}`;
  for (const [sent, relayed, parsedAs] of [
    ["null", '"resp_1"', "resp_1"],
    ['"resp_other"', '"resp_other"', "resp_other"],
  ] as const) {
    const stored: JsonObject[] = [];
    const reply = await readNativeReply(
      new Response(body(sent), { headers: { "content-type": "application/json" } }),
      {
        ...context(),
        operation: "responses",
        stream: false,
        previousId: "resp_1",
        onBody: (parsed) => stored.push(parsed),
      },
    );
    if (reply.kind !== "bytes") throw new Error(`bytes were expected, not ${reply.kind}`);
    expect(new TextDecoder().decode(reply.body)).toBe(body(relayed));
    expect(reply.parsed).toEqual(JSON.parse(body(relayed)));
    expect(stored.map((parsed) => parsed.previous_response_id)).toEqual([parsedAs]);
  }
});

test("a whole answer asked for and an event stream answered: said so, or the error its first event is", async () => {
  const whole = { ...context(), stream: false };
  const sse = (text: string) => new Response(text, { headers: { "content-type": "text/event-stream" } });
  const failure = (text: string) =>
    Promise.resolve()
      .then(() => readNativeReply(sse(text), whole))
      .then(
        () => undefined,
        (error: Error) => error,
      );
  expect((await failure('data: {"choices":[]}\n\ndata: [DONE]\n\n'))?.message).toBe(
    "upstream a answered a request for a whole answer with an event stream (text/event-stream), not a JSON body",
  );
  expect((await failure('data: {"error":{"message":"CUDA out of memory"}}\n\n'))?.message).toBe(
    "CUDA out of memory",
  );
});
