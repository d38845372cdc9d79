import { messageOf } from "../../core/describe-error.ts";
import { FINAL_RESPONSE_EVENTS } from "../../core/final-response-events.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { SseDecoder } from "../../core/sse.ts";
import { type OpenedResponse, openedOf } from "../failed-response.ts";
import { valueNestsDeeperThan } from "../json-depth.ts";
import { shallowOf, tooDeep } from "./deep-message.ts";
import { LaneResponses } from "./lane-responses.ts";
import { cutShort, errorEvent, failedEvent, replyError, turnData } from "./socket-events.ts";
import { laneOf, readTurn, type SocketError, type SocketTurn } from "./socket-turn.ts";
import { leftWaiting, MAX_LANES, type Overflow, tooManyLanes, WaitingTurns } from "./waiting-turns.ts";

export { MAX_KEPT_LANES } from "./lane-responses.ts";

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
   * `answered` is told who holds the answer upstream before its last event is sent (the provider
   * that answered natively, else undefined: responses-context.ts), for the conversation kept;
   * `failing`, the failure the gateway writes into the committed stream before it writes it
   * (responses-context.ts `SocketTurnContext`), for the status the turn's `error` event says.
   */
  answer(
    turn: SocketTurn,
    signal: AbortSignal,
    answered: (holder: string | undefined, answeredBy: string | undefined) => void,
    failing: (error: GatewayError) => void,
  ): Promise<Response>;
  /** `server.max_body`: the bytes the turns waiting on the connection may hold together. */
  maxBody(): number;
  /**
   * Records a message refused before it became a turn as the `POST /v1/responses` it stood for,
   * refused with `error` (an audit row, an access line, metrics and a span, as every refusal
   * has), and answers as the front door did: that refusal, or one of its own that came first (the
   * caller's key revoked since, a drain).
   */
  refuse(error: SocketError, message: unknown): Promise<Response>;
  /**
   * Records a turn the connection took but never ran, as the `POST /v1/responses` it stood for,
   * failed with `why` (an audit row, an access line, metrics), as every request is accounted for:
   * one past the connection's bounds (429), or one waiting behind another when the client closed
   * the socket (499).
   */
  notRun(message: unknown, why: GatewayError): void;
}

/** A turn sent while its lane streams another, and its size as counted in `WaitingTurns`. */
interface Waiting {
  readonly message: unknown;
  readonly bytes: number;
}

/**
 * A turn under way: its lane, who holds its answer upstream, and the failure the gateway wrote
 * into its stream, as the pipeline told; and where its stream stands, for a failure the socket
 * says in it.
 */
interface TurnRun {
  readonly turn: SocketTurn;
  readonly lane: string;
  holder: string | undefined;
  /** The provider that answered natively, kept upstream or not (containers-in-scope.ts `vouches`). */
  answeredBy: string | undefined;
  written: GatewayError | undefined;
  /** The number the turn's next event takes: the last one's `sequence_number` and one (0 before any). */
  next: number;
  /**
   * The response the turn's stream opened with (its `response.created`'s): what a `response.failed`
   * keeps of it, not the whole (it echoes the turn's instructions, tools and input).
   */
  opened: OpenedResponse | undefined;
  /** The `error` event the turn said, once it has: its `response.failed` is all that may follow. */
  said: SocketError | undefined;
}

/** One lane (`stream_id`; the default lane has none) while it has a turn running; the next ones wait here. */
interface Lane {
  readonly waiting: Waiting[];
  /** Ends the lane's turn under way: its request aborted, its stream cancelled. */
  stop: (() => void) | undefined;
}

/**
 * One Responses API WebSocket connection. Turns of one lane (`stream_id`) run one at a time, in
 * the order they came (a turn sent while another streams waits for it); lanes run side by side.
 * Each turn is streamed back as the events a `POST` with `stream: true` would send, one message
 * each. What waits and how many lanes run at once is bounded (waiting-turns.ts): a turn past it is
 * refused with an `error` event. The connection keeps each lane's last finished response (up to
 * MAX_KEPT_LANES), so a turn on any lane can continue from it by id, stored or not.
 */
export class ResponsesSocketSession {
  private readonly lanes = new Map<string, Lane>();
  /** Each lane's last finished response, by id as turns name them. */
  private readonly kept = new LaneResponses();
  private readonly waiting: WaitingTurns;
  private ended = false;

  constructor(private readonly deps: SocketSessionDeps) {
    this.waiting = new WaitingTurns(() => deps.maxBody());
  }

  /** Lanes with a turn under way (for tests). */
  get lanesUnderWay(): number {
    return this.lanes.size;
  }

  /** A client message (Elysia hands it over parsed when it is JSON). */
  message(message: unknown): void {
    if (this.ended) return;
    // Before anything serialises it again (its turn's POST, its size while it waits), which for a
    // message nested this deep holds the event loop for seconds before the stack overflows.
    if (valueNestsDeeperThan(message)) {
      this.overflow(tooDeep(), shallowOf(message));
      return;
    }
    const name = laneOf(message) ?? "";
    const lane = this.lanes.get(name);
    if (lane) {
      const entered = this.waiting.enter(message);
      if ("refused" in entered) this.overflow(entered, message);
      else lane.waiting.push({ message, bytes: entered.bytes });
    } else if (this.lanes.size >= MAX_LANES) this.overflow(tooManyLanes(), message);
    else void this.run(name, message);
  }

  /**
   * The socket closed: the turns under way are cancelled upstream; what waits is dropped, each
   * recorded as a turn its client left.
   */
  closed(): void {
    this.ended = true;
    this.waiting.clear();
    for (const lane of this.lanes.values()) {
      for (const left of lane.waiting) this.deps.notRun(left.message, leftWaiting());
      lane.waiting.length = 0;
      lane.stop?.();
    }
  }

  /**
   * A turn past the connection's bounds (waiting-turns.ts): its `error` event at once, in its lane
   * when it named one, and its row as any refused request's (a flood of them is bounded as any
   * flood's rows are, by the audit queue).
   */
  private overflow({ refused, why }: Overflow, message: unknown): void {
    this.deps.send(errorEvent(refused, laneOf(message)));
    this.deps.notRun(message, why);
  }

  /** Runs a lane's first turn, then those that came while it ran, in order; the lane ends with them. */
  private async run(name: string, first: unknown): Promise<void> {
    const lane: Lane = { waiting: [], stop: undefined };
    this.lanes.set(name, lane);
    try {
      await this.turnToItsEnd(first, name, lane);
      for (let next = lane.waiting.shift(); next && !this.ended; next = lane.waiting.shift()) {
        this.waiting.leave(next.bytes);
        await this.turnToItsEnd(next.message, name, lane);
      }
    } finally {
      // An idle lane is forgotten; its last response is kept (`kept`). Turns still queued in a
      // lane that ended early leave the connection's count, or it would stay spent.
      for (const left of lane.waiting) this.waiting.leave(left.bytes);
      this.lanes.delete(name);
    }
  }

  /**
   * A turn run to its end: one that threw (a refusal that could not be recorded) is said as an
   * `error` event in its lane, and the lane goes on; nothing awaits a lane's run to hear of it.
   */
  private async turnToItsEnd(message: unknown, name: string, lane: Lane): Promise<void> {
    try {
      await this.turn(message, name, lane);
    } catch (error) {
      const reason = messageOf(error);
      if (!this.ended) this.deps.send(errorEvent(replyError(502, reason), laneOf(message)));
    }
  }

  private async turn(message: unknown, name: string, lane: Lane): Promise<void> {
    const turn = readTurn(message, this.kept);
    if (turn.kind === "refused") {
      const response = await this.deps.refuse(turn.error, message);
      const text = await response.text();
      // Ours as readTurn said it (its code, `unsupported_event_type`, is no gateway error code);
      // the front door's own when it refused the caller first.
      const error =
        response.status === turn.error.status
          ? turn.error
          : replyError(response.status, text, response.headers);
      this.deps.send(errorEvent(error, turn.streamId));
      return;
    }
    const abort = new AbortController();
    let body: ReadableStreamDefaultReader<Uint8Array> | undefined;
    lane.stop = () => {
      abort.abort();
      body?.cancel().catch(() => undefined);
    };
    const run: TurnRun = {
      turn,
      lane: name,
      holder: undefined,
      answeredBy: undefined,
      written: undefined,
      next: 0,
      opened: undefined,
      said: undefined,
    };
    try {
      const response = await this.deps.answer(
        turn,
        abort.signal,
        (holder, answeredBy) => {
          run.holder = holder;
          run.answeredBy = answeredBy;
        },
        (error) => {
          run.written = error;
        },
      );
      if (this.ended) {
        await response.body?.cancel();
        return;
      }
      if (!response.headers.get("content-type")?.startsWith("text/event-stream") || !response.body) {
        this.whole(run, response, await response.text());
        return;
      }
      body = response.body.getReader();
      const decoder = new SseDecoder(MAX_EVENT_LINE);
      let ended = false;
      let done = false;
      while (!ended && !done) {
        const read = await body.read();
        done = read.done;
        for (const event of read.done ? decoder.end() : decoder.push(read.value)) {
          ended = this.relay(event.data, run);
          if (ended) break;
        }
      }
      // Whatever follows the turn's last event (or the failure that ended it) is not read.
      if (!done) await body.cancel().catch(() => undefined);
      // A turn always ends with its last event: a stream cut short says so, never silence.
      if (!ended && !this.ended) this.fail(run, cutShort());
    } catch (error) {
      // The turn's stream broke off here (the gateway's own stream ends with an error event, so
      // this is the socket going away or the reply unreadable): said once, if anyone listens; in
      // the stream, when it began.
      const broken = replyError(502, messageOf(error));
      if (this.ended) return;
      if (body) this.fail(run, broken);
      else this.deps.send(errorEvent(broken, turn.streamId));
    } finally {
      lane.stop = undefined;
    }
  }

  /**
   * One event of the stream, sent; true once the turn has ended: with its last event (a finished
   * response becomes its lane's last; a failed one's `error` event went before it), or with the
   * `error` event and `response.failed` the socket says for a failure the stream said in another
   * shape, or for what is no Responses event (socket-events.ts `turnData`).
   */
  private relay(data: string, run: TurnRun): boolean {
    const read = turnData(data, run.turn, run.written);
    switch (read.kind) {
      case "nothing":
        return false;
      case "error":
        this.sayError(run, read.error);
        return false;
      case "failure":
        this.fail(run, read.error);
        return true;
    }
    const { event } = read;
    this.deps.send(event.text);
    run.next = (event.sequence ?? run.next) + 1;
    run.opened ??= openedOf(event.response);
    if (event.type === "response.completed" || event.type === "response.incomplete")
      this.kept.remember(run.lane, run.turn, event.response, run.holder, run.answeredBy);
    return FINAL_RESPONSE_EVENTS.has(event.type);
  }

  /**
   * The turn's `error` event, numbered where its stream stands when the stream did not number it
   * (a failure the socket tells of itself), as the gateway numbers one in an SSE stream.
   */
  private sayError(run: TurnRun, error: SocketError): void {
    const sequenceNumber = error.sequenceNumber ?? run.next;
    run.next = sequenceNumber + 1;
    run.said = { ...error, sequenceNumber };
    this.deps.send(errorEvent(run.said, run.turn.streamId));
  }

  /**
   * A turn whose stream began, ended by the socket as OpenAI ends a response that fails: its
   * `error` event (unless the stream said one already), then `response.failed` numbered next,
   * failing the response the stream opened with.
   */
  private fail(run: TurnRun, error: SocketError): void {
    if (!run.said) this.sayError(run, error);
    const said = run.said ?? error;
    this.deps.send(failedEvent(said, run.next++, run.opened, run.turn.streamId));
  }

  /** A reply that is no stream: an error, or (should an upstream ignore `stream`) the whole response. */
  private whole(run: TurnRun, reply: Response, text: string): void {
    if (reply.status >= 400) {
      this.deps.send(errorEvent(replyError(reply.status, text, reply.headers), run.turn.streamId));
      return;
    }
    // A body that is no response is said as the socket's error event (`relay`).
    this.relay(`{"type":"response.completed","response":${text}}`, run);
  }
}
