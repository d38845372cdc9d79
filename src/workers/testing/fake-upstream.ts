/**
 * A tiny OpenAI-compatible server for the tunnel tests. The request body's `fake` field
 * (passed through untouched by the gateway) picks the behaviour.
 */
export interface FakeBehaviour {
  /** Number of SSE content chunks (stream) before [DONE]. */
  chunks?: number;
  /** Pad each chunk's content to this many characters. */
  chunkChars?: number;
  /** Hold the head until `release(id)` is called. */
  holdHead?: boolean;
  /** After the first chunk, wait until `release(id)` is called. */
  holdAfterFirst?: boolean;
  /** Refuse the call: this status, with these headers, and an OpenAI error body. */
  refuse?: { status: number; headers: Record<string, string>; message?: string };
}

export interface FakeUpstream {
  url: string;
  /** x-request-id of requests whose connection the client closed. */
  aborted: Set<string>;
  seen: Set<string>;
  /** Chunks produced so far per request id (pull-based, so it shows backpressure). */
  produced: Map<string, number>;
  release(requestId: string): void;
  /** What `POST /v1/responses` answers: 404 (no such endpoint) unless a test sets another status. */
  responsesStatus: number;
  /** How many times `GET /v1/models` was asked. */
  readonly listings: number;
  stop(): void;
}

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

export function startFakeUpstream(models: string[] = ["llama-small", "forbidden-model"]): FakeUpstream {
  const aborted = new Set<string>();
  const seen = new Set<string>();
  const produced = new Map<string, number>();
  const gates = new Map<string, () => void>();
  const gate = (id: string) => new Promise<void>((resolve) => gates.set(id, resolve));
  const encoder = new TextEncoder();
  const answers = { responsesStatus: 404, listings: 0 };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      if (path === "/v1/models") {
        answers.listings++;
        return Response.json({ object: "list", data: models.map((id) => ({ id, object: "model" })) });
      }
      if (path === "/v1/responses")
        return Response.json({ error: { message: "responses" } }, { status: answers.responsesStatus });
      if (path !== "/v1/chat/completions")
        return Response.json({ error: { message: "no such path" } }, { status: 404 });
      const id = request.headers.get("x-request-id") ?? "";
      seen.add(id);
      request.signal.addEventListener("abort", () => aborted.add(id));
      const body = (await request.json()) as { stream?: boolean; model?: string; fake?: FakeBehaviour };
      const fake = body.fake ?? {};
      if (fake.holdHead) await gate(id);
      if (fake.refuse)
        return Response.json(
          {
            error: {
              message: fake.refuse.message ?? "refused",
              type: "server_error",
              param: null,
              code: null,
            },
          },
          { status: fake.refuse.status, headers: fake.refuse.headers },
        );
      if (!body.stream) {
        return Response.json({
          id: "cmpl-1",
          object: "chat.completion",
          model: body.model,
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: "hello from upstream" },
              finish_reason: "stop",
            },
          ],
          usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
        });
      }
      const total = fake.chunks ?? 3;
      let n = 0;
      const stream = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            if (n === 1 && fake.holdAfterFirst) await gate(id);
            if (n === total) {
              controller.enqueue(encoder.encode("data: [DONE]\n\n"));
              controller.close();
              return;
            }
            const text = `t${n}`.padEnd(fake.chunkChars ?? 2, "x");
            controller.enqueue(encoder.encode(chunk(text)));
            produced.set(id, ++n);
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(stream, { headers: { "content-type": "text/event-stream" } });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    aborted,
    seen,
    produced,
    release: (id) => gates.get(id)?.(),
    get responsesStatus() {
      return answers.responsesStatus;
    },
    set responsesStatus(status: number) {
      answers.responsesStatus = status;
    },
    get listings() {
      return answers.listings;
    },
    stop: () => void server.stop(true),
  };
}
