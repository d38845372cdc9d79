import { IssuedItems } from "./issued-items.ts";
import { openaiErrors } from "./openai-errors.ts";
import { unansweredCalls } from "./unanswered-calls.ts";

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

export interface CannedOptions {
  /**
   * Serves the Responses API as OpenAI does the ids of its input items: a `POST …/responses` whose
   * input carries an id none of its answers gave (or one a `store: false` answer gave), or an
   * `encrypted_content` none of them sealed, is refused in OpenAI's words, nothing queued used
   * (issued-items.ts).
   */
  readonly resolvesItemIds?: boolean;
  /**
   * Checks a `POST …/chat/completions` conversation's tool calls as OpenAI does: one whose calls are
   * not each answered by a `tool` message straight after them is refused in OpenAI's words, nothing
   * queued used (unanswered-calls.ts).
   */
  readonly answersCalls?: boolean;
}

export function startCannedUpstream(options: CannedOptions = {}): CannedUpstream {
  const requests: CannedRequest[] = [];
  const answers: CannedAnswer[] = [];
  const issued = options.resolvesItemIds ? new IssuedItems() : undefined;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const headers: Record<string, string> = {};
      req.headers.forEach((value, name) => {
        headers[name] = value;
      });
      const text = await req.text();
      requests.push({ method: req.method, path: url.pathname, query: url.search, headers, text });
      const asksResponse = req.method === "POST" && url.pathname.endsWith("/responses");
      const refusal = asksResponse
        ? issued?.refusal(text)
        : options.answersCalls
          ? callsRefusal(url, text)
          : undefined;
      if (refusal) return refusal;
      // What answers a `store: false` request is not kept: its ids are refused later.
      const kept = issued?.keeps(text) ?? true;
      const answer = answers.shift();
      if (!answer) return Response.json({ error: { message: "nothing queued" } }, { status: 500 });
      const init = { status: answer.status ?? 200, headers: answer.headers ?? {} };
      if (typeof answer.body === "string") {
        issued?.note(answer.body, kept);
        return new Response(answer.body, init);
      }
      const writes = [...answer.body];
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = writes.shift();
          if (next === undefined) return controller.close();
          const write = await next;
          issued?.note(write, kept);
          controller.enqueue(encoder.encode(write));
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

/** OpenAI's refusal of a chat request whose tool calls are not each answered straight after them. */
function callsRefusal(url: URL, text: string): Response | undefined {
  if (!url.pathname.endsWith("/chat/completions")) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const refused = unansweredCalls(body);
  if (!refused) return undefined;
  return Response.json(openaiErrors.body(refused.status, refused.message, refused.param), {
    status: refused.status,
  });
}
