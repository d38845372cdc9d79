import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { ByteFeed } from "../http/streamed-answer.ts";
import { type EventDecoder, UpstreamEvents } from "../http/upstream-events.ts";
import type { ProviderCall } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import { bedrockFailure } from "./bedrock-errors.ts";

const utf8 = new TextDecoder();
const encoder = new TextEncoder();
const toUtf8 = (bytes: Uint8Array) => utf8.decode(bytes);
const fromUtf8 = (text: string) => encoder.encode(text);

/**
 * The binary event-stream codec (prelude, headers, CRCs checked) AWS streams use. Loaded on the
 * first Bedrock stream rather than at start: a gateway with no Bedrock route does not hold it
 * (docs/BENCHMARKS-HISTORY.md, idle RSS).
 */
export const newEventStreamCodec = () => {
  const { EventStreamCodec } =
    require("@smithy/core/event-streams") as typeof import("@smithy/core/event-streams");
  return new EventStreamCodec(toUtf8, fromUtf8);
};

/**
 * A Bedrock stream body (`application/vnd.amazon.eventstream`), still its body: its events are
 * decoded frame by frame as bytes arrive, by an iteration of it or by the router a read at a time
 * (routing/translated-relay.ts), as an SSE body's are. `converse`: ConverseStream's events
 * (`ConverseDecoder`); `invoke`: InvokeModelWithResponseStream's chunks, each the model's own
 * event (`InvokeDecoder`).
 */
export class BedrockEvents extends UpstreamEvents {
  constructor(
    provider: string,
    body: ByteFeed,
    call: Pick<ProviderCall, "signal">,
    private readonly framing: "converse" | "invoke",
  ) {
    // No lines to bound: a binary stream's frames are bounded by `FrameSplitter`.
    super(provider, body, call, 0);
  }

  override decoder(): EventDecoder {
    return this.framing === "invoke" ? new InvokeDecoder(this.provider) : new ConverseDecoder(this.provider);
  }
}

/**
 * Decodes ConverseStream frames into events named by their `:event-type` with the JSON payload
 * as data. An `exception` frame (throttling, model error mid-stream) is thrown as the
 * GatewayError its HTTP twin would be; a frame whose checksum fails is a retryable 502. A failure
 * after events of the same read is held and thrown by the next call, so that those events are
 * translated and reach the client first (Bedrock ends its stream after an exception frame: that
 * call is the body's end). A decoder, not a translation loop: Converse events become OpenAI
 * chunks in translate/stream/stream-translation.ts (bedrock-provider.ts).
 */
export class ConverseDecoder implements EventDecoder {
  private readonly codec = newEventStreamCodec();
  private readonly frames = new FrameSplitter();
  private held: GatewayError | undefined;

  constructor(private readonly provider: string) {}

  push(chunk: Uint8Array): SseEvent[] {
    this.throwHeld();
    const events: SseEvent[] = [];
    try {
      for (const frame of this.frames.push(chunk)) events.push(this.event(frame));
    } catch (error) {
      if (events.length === 0 || !(error instanceof GatewayError)) throw error;
      this.held = error;
    }
    return events;
  }

  end(): SseEvent[] {
    this.throwHeld();
    if (this.frames.pending > 0)
      throw upstreamError(`${upstreamName(this.provider)} cut an event-stream frame short`);
    return [];
  }

  private throwHeld(): void {
    const held = this.held;
    if (held) {
      this.held = undefined;
      throw held;
    }
  }

  private event(frame: Uint8Array): SseEvent {
    let message: ReturnType<ReturnType<typeof newEventStreamCodec>["decode"]>;
    try {
      message = this.codec.decode(frame);
    } catch {
      throw upstreamError(`${upstreamName(this.provider)} sent a broken event stream`);
    }
    const header = (name: string) => {
      const value = message.headers[name]?.value;
      return typeof value === "string" ? value : undefined;
    };
    const data = toUtf8(message.body);
    const kind = header(":message-type");
    if (kind === "exception" || kind === "error") {
      const type = header(":exception-type") ?? header(":error-code") ?? "InternalServerException";
      const text = header(":error-message") ?? messageOf(safeJson(data));
      throw bedrockFailure(this.provider, statusOfException(type), type, text);
    }
    // The payload stays text: the stream reader parses it, once.
    return { event: header(":event-type") ?? "", data };
  }
}

/** The HTTP status Bedrock uses for each exception type, so a mid-stream one maps the same way. */
function statusOfException(type: string): number {
  if (/throttling/i.test(type)) return 429;
  if (/validation/i.test(type)) return 400;
  if (/accessdenied/i.test(type)) return 403;
  if (/serviceunavailable/i.test(type)) return 503;
  return 500;
}

function messageOf(payload: unknown): string | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const message =
    (payload as Record<string, unknown>).message ?? (payload as Record<string, unknown>).Message;
  return typeof message === "string" ? message : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Frames never exceed this (AWS caps event-stream messages at 16 MB). */
const MAX_FRAME = 16 * 1024 * 1024;

/**
 * Cuts a byte stream into whole event-stream frames: each starts with its total length (a
 * big-endian uint32), and network reads split and join frames anywhere.
 */
export class FrameSplitter {
  private buffer = new Uint8Array(0);

  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (joined.length - offset >= 4) {
      const length = new DataView(joined.buffer, offset, 4).getUint32(0, false);
      if (length < 16 || length > MAX_FRAME)
        throw upstreamError(`event-stream frame of impossible length ${length}`);
      if (joined.length - offset < length) break;
      frames.push(joined.subarray(offset, offset + length));
      offset += length;
    }
    this.buffer = joined.slice(offset);
    return frames;
  }
}

/**
 * An `InvokeModelWithResponseStream` body's frames: as ConverseStream's, each `chunk` carrying
 * one of the model's own events (Anthropic's, for Claude) as base64 JSON in `bytes`. The events
 * come out as the model wrote them, named by their `type`: an Anthropic stream.
 */
export class InvokeDecoder implements EventDecoder {
  private readonly frames: ConverseDecoder;

  constructor(private readonly provider: string) {
    this.frames = new ConverseDecoder(provider);
  }

  push(chunk: Uint8Array): SseEvent[] {
    return this.frames.push(chunk).map((event) => this.opened(event));
  }

  end(): SseEvent[] {
    return this.frames.end().map((event) => this.opened(event));
  }

  private opened(event: SseEvent): SseEvent {
    const payload = safeJson(event.data);
    const bytes =
      typeof payload === "object" && payload !== null
        ? (payload as Record<string, unknown>).bytes
        : undefined;
    if (event.event !== "chunk" || typeof bytes !== "string")
      throw upstreamError(`${upstreamName(this.provider)} sent a stream frame that is not a chunk`);
    const data = utf8.decode(Buffer.from(bytes, "base64"));
    const inner = safeJson(data);
    const type =
      typeof inner === "object" && inner !== null ? (inner as Record<string, unknown>).type : undefined;
    if (typeof type !== "string")
      throw upstreamError(`${upstreamName(this.provider)} sent a chunk that is no event`);
    return { event: type, data };
  }
}
