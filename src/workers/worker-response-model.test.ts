import { expect, test } from "bun:test";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { Principal } from "../auth/principal.ts";
import { type Authenticator, createGateway, parseConfig, silentLogger } from "../index.ts";
import { ASK, chatChunks, chatCompletion, sse } from "../testing/answer-wire.ts";
import { jwtCaller } from "../testing/jwt-caller.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";
import { answeredModel } from "../translate/answered-model.ts";
import { runWorker } from "./worker/worker-client.ts";

// A worker relays its upstream's answer through the tunnel as the upstream wrote it, naming the
// model that answered (a llama.cpp or vLLM server's own name for it): the trace's
// `gen_ai.response.model`, whole or streamed, passed through to a chat caller or translated for a
// Messages one, on the server span and the attempt's.

const ANSWERED = "llama-3.1-8b-instruct-q4_k_m.gguf";

const worker: Principal = { ...jwtCaller, name: "w", role: "worker" };
const auth: Authenticator = async (headers) =>
  headers.get("authorization") === "Bearer worker-key" ? worker : jwtCaller;

test.each([
  ["chat", false, ANSWERED],
  ["chat", true, ANSWERED],
  ["messages", false, "m"],
  ["messages", true, "m"],
] as const)(
  "a worker's upstream to a %s caller (stream %p): the upstream's model in the trace",
  async (dialect, stream, said) => {
    const upstream = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const sent = (await request.json()) as { stream?: boolean };
        return sent.stream ? sse(chatChunks(ANSWERED), false) : Response.json(chatCompletion(ANSWERED));
      },
    });
    const exporter = new InMemorySpanExporter();
    const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const connected: string[] = [];
    const gateway = await createGateway({
      config: parseConfig({
        storage: { path: ":memory:" },
        auth: { bootstrap_admin: false },
        workers: { enabled: true },
        models: [{ name: "m", routes: [{ provider: "workers", model: "llama" }] }],
        routing: { retries: 0 },
      }),
      auth,
      logger: silentLogger,
      tracing: { tracer: tracer.getTracer("test") },
      events: [{ publish: (event) => void connected.push(event.type) }],
    });
    const { port } = gateway.listen("127.0.0.1", 0);
    const stop = new AbortController();
    const ran = runWorker({
      connect: `ws://127.0.0.1:${port}`,
      token: "worker-key",
      upstream: `http://127.0.0.1:${upstream.port}/v1`,
      models: ["llama"],
      concurrency: 1,
      name: "gpu-1",
      labels: {},
      responsesApi: false,
      handleSignals: false,
      log: () => {},
      stop: stop.signal,
      drainTimeoutMs: 1_000,
    });
    try {
      await waitFor("the worker to connect", () => connected.includes("worker.connected"));
      const [path, body] = ASK[dialect];
      const response = await gateway.handle(
        new Request(`http://gw${path}`, {
          method: "POST",
          headers: {
            authorization: "Bearer t",
            "content-type": "application/json",
            "anthropic-version": "2023-06-01",
          },
          body: JSON.stringify({ model: "m", ...body, stream }),
        }),
      );
      const text = await response.text();
      expect(response.status).toBe(200);
      const first = stream
        ? text
            .split("\n")
            .find((line) => line.startsWith("data: {"))
            ?.slice(6)
        : text;
      // The request's span ends once its answer is accounted, which may be after the caller read it.
      const spans = await waitForValue("the request's span", () => {
        const ended = exporter.getFinishedSpans();
        return ended.some((span) => span.attributes["gen_ai.request.model"] === "m") && ended;
      });
      const model = (kind: SpanKind) =>
        spans.find((span) => span.kind === kind && span.name.startsWith("chat"))?.attributes[
          "gen_ai.response.model"
        ];
      expect([
        answeredModel(JSON.parse(first ?? "{}")),
        model(SpanKind.SERVER),
        model(SpanKind.CLIENT),
      ]).toEqual([said, ANSWERED, ANSWERED]);
    } finally {
      stop.abort();
      await ran;
      await gateway.stop();
      await upstream.stop(true);
    }
  },
);
