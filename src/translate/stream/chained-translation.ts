import type { SseEvent } from "../../core/sse.ts";
import type { EventSink, EventStage, EventTranslation } from "./stream-translation.ts";

/** The sink before the first `take`: the first translation writes only inside `take` and `end`. */
const OUTSIDE: EventSink = {
  push() {
    throw new Error("ChainedTranslation: an event written outside take or end");
  },
};

/**
 * A provider's own translation (Bedrock's Converse events, Gemini's JSON → OpenAI chunks) and what
 * the router makes of its events — the caller's dialect, or an OpenAI caller's pass — run as one:
 * each upstream event goes through both at once, synchronously, so a relay hands out one read's
 * events as one chunk (routing/translated-relay.ts). Also the sink between the two.
 */
export class ChainedTranslation implements EventTranslation, EventSink {
  /** Where the current `take` or `end` writes (the first translation writes only inside them). */
  private out: EventSink = OUTSIDE;

  constructor(
    private readonly first: EventTranslation,
    private readonly then: EventStage,
  ) {}

  get done(): boolean {
    return this.then.done;
  }

  /** The upstream's events are the first translation's to read and count. */
  get upstreamEvents(): number {
    return this.first.upstreamEvents;
  }

  take(event: SseEvent, out: EventSink): boolean {
    this.out = out;
    // The first's end (its last events written into `then`) is the stream's end: `then` must be
    // whole too, or says why not.
    return this.first.take(event, this) ? this.then.end(out) : this.then.done;
  }

  end(out: EventSink): true {
    this.out = out;
    this.first.end(this);
    return this.then.end(out);
  }

  /** One of the first translation's events, for the second. */
  push(event: SseEvent): void {
    this.then.take(event, this.out);
  }
}

/** Sees each event of a stream already in the caller's dialect; false drops it for the caller. */
export interface EventKeeper {
  onUsage(event: SseEvent): boolean;
}

/**
 * The events of a stream already in the caller's dialect, as they are: each one seen by the
 * router's usage meter (`RouteAttempt.onUsage`), which may drop it (a usage chunk the caller did
 * not ask for). The end is the first translation's.
 */
export class KeptEvents implements EventStage {
  done = false;

  constructor(private readonly keeper: EventKeeper) {}

  take(event: SseEvent, out: EventSink): boolean {
    if (this.keeper.onUsage(event)) out.push(event);
    return false;
  }

  end(): true {
    this.done = true;
    return true;
  }
}
