/**
 * The gateway-bound upstream: an OpenAI-shaped fake that answers at once, a stream of 20 content
 * events (plus the finish, usage and [DONE] events) in one write, so that the proxies in front
 * of it, not the upstream, are the bottleneck.
 *   bun bench/burst-upstream.ts [--port N] [--paced]
 * `--paced` writes a stream one event a write instead, a turn of its event loop apart (chunked,
 * no declared length): an upstream that paces its tokens, so a gateway takes its general path
 * (one upstream read, one pull and one client write an event), not the whole answer's.
 * `--chunked` writes the stream at once as well, but chunked, one chunk an event pulled a microtask
 * apart (as the test fake's streams arrive at the gateway: one read of many chunks, the body's
 * data in pieces between chunk-size lines).
 * `POST /v1/messages` answers in Anthropic's dialect: the same 20 words as one message, or a stream
 * of 26 events (message_start, content_block_start, ping, 20 text deltas, content_block_stop,
 * message_delta, message_stop) in one write, so a gateway's Anthropic provider can be measured
 * alike (`--paced`, `--chunked` and `--sizes` shape only the OpenAI answers).
 * `--sizes` answers two more models, to tell a stream's size from its path (bench/answer-split.ts):
 * `bench-model-small` streams 3 events (the whole text with its finish, the usage, [DONE]: 511
 * bytes, about a non-stream answer's 384), and `bench-model-padded` answers a non-stream request
 * with its content padded to the stream's 4,193 bytes.
 * Prints one JSON line `{"port":N}` once listening; stops on SIGTERM. `GET /served` answers
 * `{"served":N}`, the completions answered so far (the benchmarks count shadow copies with it).
 */
import { parseArgs } from "node:util";
import {
  anthropicJsonBody,
  anthropicStreamBody,
  chunk,
  created,
  jsonBody,
  streamBody,
  usage,
  usageEvent,
  words,
} from "./burst-answers.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    paced: { type: "boolean", default: false },
    chunked: { type: "boolean", default: false },
    sizes: { type: "boolean", default: false },
  },
});

const streamHeaders = { "content-type": "text/event-stream", "cache-control": "no-cache" };
const jsonHeaders = { "content-type": "application/json" };

/** `--sizes`: a stream at a non-stream answer's size, and a non-stream answer at the stream's. */
const smallStream = [chunk({ content: words.join("") }, "stop"), usageEvent, "data: [DONE]\n\n"].join("");
const paddedJsonBody = JSON.stringify({
  id: "chatcmpl-burst",
  object: "chat.completion",
  created,
  model: "bench-model",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: words.join("").padEnd(words.join("").length + streamBody.length - jsonBody.length, "."),
      },
      finish_reason: "stop",
    },
  ],
  usage,
});

const eventBytes = streamBody.split(/(?<=\n\n)/).map((event) => new TextEncoder().encode(event));

/** `--paced`: the stream's events one a pull, a turn apart (each its own write). */
function pacedStream(): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at > 0) await new Promise((resolve) => setImmediate(resolve));
      const event = eventBytes[at++];
      if (event) controller.enqueue(event);
      else controller.close();
    },
  });
}

/** `--chunked`: the stream's events one a pull, a microtask apart: one write, one chunk an event. */
function chunkedStream(): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await null;
      const event = eventBytes[at++];
      if (event) controller.enqueue(event);
      else controller.close();
    },
  });
}

const streamOf = () => (values.paced ? pacedStream() : values.chunked ? chunkedStream() : streamBody);
/** With `--sizes`, the body a request's model names (`bench-model-small`, `bench-model-padded`); else the usual one. */
function sized(request: string, usual: string | ReadableStream<Uint8Array>, small: string, padded: string) {
  if (!values.sizes) return usual;
  if (request.includes('"bench-model-small"')) return small;
  return request.includes('"bench-model-padded"') ? padded : usual;
}

let served = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(values.port),
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/v1/models")
      return Response.json({ object: "list", data: [{ id: "bench-model", object: "model" }] });
    if (path === "/served") return Response.json({ served });
    served++;
    const body = await request.text();
    // A scan, not a parse: this fake must cost the machine as little as it can.
    const streamed = /"stream"\s*:\s*true/.test(body);
    if (path === "/v1/messages")
      return streamed
        ? new Response(anthropicStreamBody, { headers: streamHeaders })
        : new Response(anthropicJsonBody, { headers: jsonHeaders });
    return streamed
      ? new Response(sized(body, streamOf(), smallStream, streamBody), { headers: streamHeaders })
      : new Response(sized(body, jsonBody, jsonBody, paddedJsonBody), { headers: jsonHeaders });
  },
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop(true).finally(() => process.exit(0));
});
