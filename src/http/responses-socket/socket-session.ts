import { SseDecoder } from "../../core/sse.ts";
import { errorEvent, replyError, type TurnEvent, turnEvent } from "./socket-events.ts";
import { type LastResponse, outputOf, readTurn, type SocketTurn } from "./socket-turn.ts";

/**
 * The longest event read off a turn's stream. The stream is the gateway's own, its upstream's
 * lines already bounded where they were read; but its `response.created` echoes the request
 * (instructions, tools), so a line is as long as a body may be (`server.max_body`, 10 MB by default).
 */
const MAX_EVENT_LINE = 256 * 1024 * 1024;

export interface SocketSessionDeps {
  /** Sends one event (a JSON text message); a no-op once the socket has closed. */
  send(text: string): void;
  /**
   * Answers a turn as `POST /v1/responses` with `stream: true` answers (an event stream, or an
   * error reply), through the front door: authenticated, limited, routed and audited per turn.
   */
  answer(turn: SocketTurn, signal: AbortSignal): Promise<Response>;
}

/**
 * One Responses API WebSocket connection: its turns run one at a time, in the order they came
 * (a turn sent while another streams waits for it), each streamed back as the events a `POST`
 * with `stream: true` would send, one message each. The connection keeps its last finished
 * response so the next turn can continue from it by id, stored or not.
 */
export class ResponsesSocketSession {
  private readonly waiting: unknown[] = [];
  private running = false;
  private ended = false;
  private last: LastResponse | undefined;
  /** Ends the turn under way: its request aborted, its stream cancelled. */
  private stopTurn: (() => void) | undefined;

  constructor(private readonly deps: SocketSessionDeps) {}

  /** A client message (Elysia hands it over parsed when it is JSON). */
  message(message: unknown): void {
    if (this.ended) return;
    this.waiting.push(message);
    if (!this.running) void this.run();
  }

  /** The socket closed: what waits is dropped, the turn under way is cancelled upstream. */
  closed(): void {
    this.ended = true;
    this.waiting.length = 0;
    this.stopTurn?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0 && !this.ended) await this.turn(this.waiting.shift());
    } finally {
      this.running = false;
    }
  }

  private async turn(message: unknown): Promise<void> {
    const turn = readTurn(message, this.last);
    if (turn.kind === "refused") {
      this.deps.send(errorEvent(turn.error, turn.streamId));
      return;
    }
    const abort = new AbortController();
    let body: ReadableStreamDefaultReader<Uint8Array> | undefined;
    this.stopTurn = () => {
      abort.abort();
      body?.cancel().catch(() => undefined);
    };
    try {
      const response = await this.deps.answer(turn, abort.signal);
      if (this.ended) {
        await response.body?.cancel();
        return;
      }
      if (!response.headers.get("content-type")?.startsWith("text/event-stream") || !response.body) {
        this.whole(turn, response.status, await response.text());
        return;
      }
      body = response.body.getReader();
      const decoder = new SseDecoder(MAX_EVENT_LINE);
      for (;;) {
        const { done, value } = await body.read();
        for (const event of done ? decoder.end() : decoder.push(value)) this.relay(event.data, turn);
        if (done) break;
      }
    } catch (error) {
      // The turn's stream broke off here (the gateway's own stream ends with an error event, so
      // this is the socket going away or the reply unreadable): said once, if anyone listens.
      const reason = error instanceof Error ? error.message : String(error);
      if (!this.ended) this.deps.send(errorEvent(replyError(502, reason), turn.streamId));
    } finally {
      this.stopTurn = undefined;
    }
  }

  /** One event of the stream, sent (false: it was none); a finished response becomes the one to continue from. */
  private relay(data: string, turn: SocketTurn): boolean {
    const event = turnEvent(data, turn);
    if (!event) return false;
    this.deps.send(event.text);
    this.remember(event, turn);
    return true;
  }

  private remember(event: TurnEvent, turn: SocketTurn): void {
    if (event.type !== "response.completed" && event.type !== "response.incomplete") return;
    const output = outputOf(event.response);
    const id = event.response?.id;
    // Only a turn that knew the whole conversation can be continued from here (socket-turn.ts).
    this.last =
      output && typeof id === "string" && turn.whole ? { id, input: turn.input, output } : undefined;
  }

  /** A reply that is no stream: an error, or (should an upstream ignore `stream`) the whole response. */
  private whole(turn: SocketTurn, status: number, text: string): void {
    if (status >= 400) {
      this.deps.send(errorEvent(replyError(status, text), turn.streamId));
      return;
    }
    if (!this.relay(`{"type":"response.completed","response":${text}}`, turn))
      this.deps.send(
        errorEvent(
          replyError(502, "the answer was neither a Responses stream nor a response"),
          turn.streamId,
        ),
      );
  }
}
