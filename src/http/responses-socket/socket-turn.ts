import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { BACKGROUND_REFUSED } from "../../core/refuse-background.ts";
import { conversationItems } from "../../translate/responses/input-items.ts";
import { noteHolders } from "../../translate/responses/item-references.ts";
import { containersAfter } from "../containers-in-scope.ts";
import type { HeldResponse } from "../responses-context.ts";

/**
 * A lane's most recent response (the Responses API's WebSocket mode keeps it in memory, so that a
 * turn with `store: false` can still name it as `previous_response_id`): the conversation up to
 * and with it (every input it was given, then its output), and whether the store holds it too.
 */
export type LastResponse = HeldResponse;

/** The responses a connection keeps to continue from, by id (its lanes' last ones). */
export interface KeptResponses {
  get(id: string): LastResponse | undefined;
}

/** What a socket's error event says (OpenAI's error fields) and the HTTP status it stands for. */
export interface SocketError {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly message: string;
  readonly param: string | null;
  /** Where the stream numbered it (its own `error` event), or the socket did, saying one in a turn whose stream began. */
  readonly sequenceNumber?: number;
  /**
   * What the refused reply's headers said of when to come back (`retry-after`, `x-should-retry`,
   * `x-ratelimit-*`): a WebSocket message has none, so its `error` event carries them as `headers`,
   * where Codex reads an error event's (its `WrappedWebsocketErrorEvent`).
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/** One `response.create` as the gateway runs it. */
export interface SocketTurn {
  readonly kind: "create";
  /**
   * The body for `POST /v1/responses` (`stream: true`), its `input` the turn's own, as over HTTP.
   * Continued from a kept response whose conversation is empty (a warm-up of nothing), it names no
   * `previous_response_id`: there is nothing to send before its input, and an upstream serving the
   * Responses API must not be sent an id the gateway made.
   */
  readonly body: JsonObject;
  /** `generate: false`: prepare the turn's state (an id to continue from), no model call. */
  readonly generate: boolean;
  /** The lane the client named; echoed on every event of the turn. */
  readonly streamId: string | undefined;
  /**
   * The kept response the turn continues (its `previous_response_id`, whose conversation the
   * pipeline takes from here instead of the store), echoed in the turn's `response`.
   */
  readonly continued: LastResponse | undefined;
  /**
   * The connection knows the whole conversation: the turn named no earlier response, or a kept
   * one (`continued`'s items, then the body's `input`). A turn continued from the store (another
   * id) is not, so no later turn continues from it here: that one goes to the store too, which
   * holds the whole chain.
   */
  readonly whole: boolean;
}

export type SocketMessage =
  | SocketTurn
  | { readonly kind: "refused"; readonly error: SocketError; readonly streamId: string | undefined };

/** The lane (`stream_id`) a client message names, if it names one. */
export const laneOf = (message: unknown): string | undefined =>
  isJsonObject(message) && typeof message.stream_id === "string" ? message.stream_id : undefined;

/**
 * A client message as the turn to run, or why it is refused. A turn that names a response the
 * connection keeps continues it from memory (sent upstream whole: that response's input and
 * output, then its own), so a chain works with `store: false` and after `generate: false`, where
 * nothing was stored; any other `previous_response_id` is looked up in the gateway's store as
 * over HTTP.
 */
export function readTurn(message: unknown, kept: KeptResponses): SocketMessage {
  // A refusal is said in the message's lane when it named one.
  const lane = laneOf(message);
  const invalid = (text: string, param: string | null = null, code: string | null = null) => ({
    kind: "refused" as const,
    error: { status: 400, type: "invalid_request_error", code, message: text, param },
    streamId: lane,
  });
  if (!isJsonObject(message)) return invalid("each message must be a JSON object, a client event");
  if (message.type === "response.steer")
    return invalid("response.steer is not supported by this gateway", "type", "unsupported_event_type");
  if (message.type !== "response.create")
    return invalid(
      `unsupported client event type ${JSON.stringify(message.type ?? null)}: send response.create`,
      "type",
      "unsupported_event_type",
    );
  const { type: _type, stream: _stream, generate, stream_id, ...fields } = message;
  if (fields.background === true) return invalid(BACKGROUND_REFUSED, "background");
  if (generate !== undefined && typeof generate !== "boolean")
    return invalid("generate must be a boolean", "generate");
  if (stream_id !== undefined && typeof stream_id !== "string")
    return invalid("stream_id must be a string", "stream_id");
  const previous = fields.previous_response_id;
  const continued = typeof previous === "string" ? kept.get(previous) : undefined;
  const body: JsonObject = { ...fields, stream: true };
  if (continued?.items.length === 0) delete body.previous_response_id;
  return {
    kind: "create",
    body,
    generate: generate !== false,
    streamId: stream_id,
    continued,
    whole: continued !== undefined || previous === undefined || previous === null,
  };
}

/**
 * The response a turn that knew the whole conversation leaves to continue from (`id`, its
 * `response`'s): the conversation it continued, then its input and output, and who holds each
 * item upstream, as a stored chain says (item-references.ts `noteHolders`): the output is the
 * provider's that answered it natively (`holder`, as the pipeline told), every other item of the
 * turn none's, so a route serving the Responses API is later sent the ids of its own items alone.
 * The containers its calls ran in are the conversation's when `answeredBy` (the provider that
 * answered natively, kept upstream or not) vouches for them (containers-in-scope.ts `vouches`).
 */
export function lastResponseOf(
  turn: SocketTurn,
  id: string,
  response: JsonObject,
  holder: string | undefined,
  answeredBy: string | undefined,
): LastResponse {
  const said = conversationItems(turn.body, response);
  const holders = new Map(turn.continued?.holders);
  noteHolders(holders, { holder, response }, said);
  return {
    id,
    items: [...(turn.continued?.items ?? []), ...said],
    holders,
    containers: containersAfter(turn.continued?.containers, response, answeredBy),
    // A stored turn's answer leaves once stored (stored-before-answer.ts): it is in the store now.
    stored: turn.body.store !== false,
  };
}
