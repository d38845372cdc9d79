/**
 * An upstream that answers exactly the bytes a test queued, in the writes it queued them, and
 * records each request as it arrived (path, query, headers, body text). For byte-for-byte
 * pass-through tests, where the answer's exact spelling is the point.
 */
export interface CannedAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /**
   * A whole body, or the writes of a streamed one. A write still to come (a promise) is sent once
   * it settles: an upstream quiet until the test says, on a signal, not a timer. The head leaves
   * with the first write.
   */
  readonly body: string | readonly (string | Promise<string>)[];
}

export interface CannedRequest {
  readonly method: string;
  readonly path: string;
  /** With its `?`, or "". */
  readonly query: string;
  /** Lower-cased names. */
  readonly headers: Record<string, string>;
  readonly text: string;
}

export interface CannedUpstream {
  readonly url: string;
  readonly requests: CannedRequest[];
  /** Queues answers, used in order. */
  queue(...answers: CannedAnswer[]): void;
  stop(): Promise<void>;
}

export function startCannedUpstream(): CannedUpstream {
  const requests: CannedRequest[] = [];
  const answers: CannedAnswer[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const headers: Record<string, string> = {};
      req.headers.forEach((value, name) => {
        headers[name] = value;
      });
      requests.push({
        method: req.method,
        path: url.pathname,
        query: url.search,
        headers,
        text: await req.text(),
      });
      const answer = answers.shift();
      if (!answer) return Response.json({ error: { message: "nothing queued" } }, { status: 500 });
      const init = { status: answer.status ?? 200, headers: answer.headers ?? {} };
      if (typeof answer.body === "string") return new Response(answer.body, init);
      const writes = [...answer.body];
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = writes.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(encoder.encode(await next));
        },
      });
      return new Response(stream, init);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    queue: (...more) => {
      answers.push(...more);
    },
    stop: () => server.stop(true),
  };
}
