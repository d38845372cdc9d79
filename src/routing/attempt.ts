import type { AbortFollower, AbortSource } from "../core/abort-followers.ts";
import type { Abortable, CancelHook } from "../core/cancel-hook.ts";
import type { QuietListener } from "../core/chunk-source.ts";
import { type DeadlineList, deadlineListOf } from "../core/deadline-list.ts";
import { clientClosed, GatewayError, upstreamTimeout } from "../core/gateway-error.ts";
import { timerDelay } from "../core/timer-delay.ts";
import type { AttemptTimeouts } from "../providers/provider.ts";
import { upstreamName } from "../providers/upstream-name.ts";
import { SteppedReads } from "./stepped-reads.ts";

/** What each bound waits for, as a timeout message says it. */
const WAITING_FOR = {
  connect: "response headers",
  "first byte": "the first byte",
  idle: "the next chunk",
} as const;

type Phase = keyof typeof WAITING_FOR;

/** Which of a route's timeouts bounds each phase. */
const BOUND_OF = {
  connect: "connectMs",
  "first byte": "firstByteMs",
  idle: "idleMs",
} as const satisfies Record<Phase, keyof AttemptTimeouts>;

/**
 * One try on one route: its own abort signal (client gone, or a timeout), under whichever bound
 * applies at the moment. The connect and first-byte bounds put the attempt in the deadline list
 * of their delay (core/deadline-list.ts: one timer for every attempt under the same bound, and an
 * attempt that is answered leaves at once), so a request makes no timer of its own; the idle bound
 * between a stream's chunks has a timer of its own, left running across chunks (see `expireIdle`),
 * which also keeps a quiet stream's client alive (`keepAlive`).
 */
export class Attempt extends SteppedReads implements AbortFollower, CancelHook {
  /**
   * Made only when someone asks for `signal` (a client that takes only a signal: `fetch`, a
   * stream's decoder, a tunnel): the lean client hooks into the attempt itself (`stage`), so the
   * common call makes no `AbortController`. Each one and its signal is a wrapper that every young
   * collection after it pays for (~0.3 µs of eden pause a request: docs/BENCHMARKS-HISTORY.md,
   * session 13's young-collection section), besides its making.
   */
  private controller: AbortController | undefined;
  cancelled = false;
  reason: unknown = undefined;
  /**
   * The upstream call's stage in progress, hooked in by its client (the lean client's call, a
   * tunnel exchange): aborted with the attempt, with no listener of its own on `signal`.
   */
  stage: Abortable | null = null;
  /** The idle bound's timer (a stream's, between chunks). */
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The list the attempt is in while a connect or first-byte bound runs. */
  private deadlines: DeadlineList | undefined;
  private phase: Phase = "connect";
  /** The phase whose bound ended the attempt, once one has. */
  private expired: Phase | undefined;
  /**
   * Its client said its request is not all written to the upstream yet (`requestUnsent`): no
   * upstream has read the prompt. False for a client that cannot tell.
   */
  unsent = false;
  private ms = 0;
  /**
   * Since when the stream has been waiting on the upstream; undefined while the client holds
   * the last chunk and has not asked for the next (a paused client is not a slow upstream).
   */
  private waitingSince: number | undefined;
  /**
   * Since when the client has had nothing while the stream waits on its upstream: `waitingSince`'s
   * reading, but not moved on by upstream events that made no client bytes (an Anthropic `ping`
   * translated to nothing), and moved on by a keep-alive comment. Undefined while the client holds
   * the last chunk.
   */
  private quietSince: number | undefined;
  /** Told when the client has had nothing for `keepAliveMs` (`ChunkSource.keepAlive`). */
  private quiet: QuietListener | undefined;

  constructor(
    /** The caller's end: a signal, or who aborts it and can tell the attempt directly (no event listener). */
    private readonly client: AbortSource,
    readonly timeouts: AttemptTimeouts,
    /** The upstream's name (`fa`, `worker:w1`), which a timeout's message names it by (`upstreamName`). */
    private readonly nameOfUpstream: string,
    /**
     * When the attempt began (`performance.now()`): the router's one reading, which its first
     * bound, its route's latency, its audit entry and its metrics all count from (a read is
     * ~70–110 ns on a virtual machine: docs/BENCHMARKS-HISTORY.md, session 16); now, for an
     * attempt made on its own.
     */
    readonly startedMs: number = performance.now(),
  ) {
    super();
    this.waitingSince = startedMs;
    // Following the client's end (not AbortSignal.any: see http/request-abort.ts); a timeout or
    // `abort()` ends the attempt directly. The attempt is its own listener either way
    // (`handleEvent`): no closure per attempt.
    if (client.aborted) this.handleEvent();
    else if (client instanceof AbortSignal) client.addEventListener("abort", this, { once: true });
    else client.follow(this);
  }

  /** A signal that aborts with the attempt, made on first read (aborted already if the attempt has ended). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  requestUnsent(unsent: boolean): void {
    this.unsent = unsent;
  }

  /** The client's end aborted: the attempt ends with its reason. */
  handleEvent(): void {
    this.end(this.client.reason);
  }

  /**
   * Arms the bound for the current phase (in place of any other); the attempt aborts with a 504
   * when it expires. A connect or first-byte bound counts from `fromMs` when the caller has just
   * read the clock (the attempt's start, as it is sent), else from now.
   */
  arm(phase: Phase, ms: number, fromMs?: number): void {
    this.stopBound();
    this.phase = phase;
    this.ms = ms;
    if (phase === "idle") {
      // The attempt as the timer's argument: no closure per attempt for its callback.
      this.timer = setTimeout(expireIdle, this.lookAgainAfter(ms), this);
      return;
    }
    this.deadlines = deadlineListOf(ms);
    this.deadlines.add(this, fromMs);
  }

  /** The connect or first-byte bound passed (the list has taken the attempt out). */
  override expire(): void {
    this.deadlines = undefined;
    this.timedOut();
  }

  /**
   * `routing.stream_keepalive` when the attempt streams to a client that may be kept alive, else 0:
   * the idle timer then wakes at least this often (`keepAlive`). The base attempt keeps no client.
   */
  protected get keepAliveMs(): number {
    return 0;
  }

  /**
   * `listener` is told each time the client has had nothing for `keepAliveMs` while the stream
   * waits on its upstream (`ChunkSource.keepAlive`): the idle timer, which runs anyway, looks.
   */
  keepAlive(listener: QuietListener): void {
    this.quiet = listener;
  }

  /**
   * The idle bound counts only time spent waiting on the upstream. The timer is left running
   * (re-arming a timer per chunk costs more than checking when it fires): when it fires while
   * the client holds the stream, or before the bound has passed since the wait began, it is
   * set again for what is left, or sooner when a keep-alive comment falls due first.
   */
  expireIdle(): void {
    const since = this.waitingSince;
    if (since === undefined) {
      this.timer = setTimeout(expireIdle, this.lookAgainAfter(this.ms), this);
      return;
    }
    const now = performance.now();
    const left = since + this.ms - now;
    if (left < 1) {
      this.timedOut();
      return;
    }
    this.timer = setTimeout(
      expireIdle,
      this.keepAliveMs > 0 ? this.keptAlive(now, left) : timerDelay(left),
      this,
    );
  }

  /**
   * `ms`, or the keep-alive interval when that is sooner; either never longer than a timer holds
   * (a 30-day bound is looked at again in steps: `expireIdle` sets it again for what is left).
   */
  private lookAgainAfter(ms: number): number {
    const every = this.keepAliveMs;
    return timerDelay(every > 0 && every < ms ? every : ms);
  }

  /**
   * The client has had nothing for the keep-alive interval while the stream waits on its upstream:
   * its listener is told (a comment goes out), and the quiet counts again from now. Returns when
   * the timer must look again: at the next comment due or the idle bound (`left`), the sooner.
   */
  private keptAlive(now: number, left: number): number {
    const every = this.keepAliveMs;
    const quietSince = this.quietSince;
    if (quietSince === undefined) return timerDelay(Math.min(left, every));
    let due = quietSince + every - now;
    if (due < 1) {
      this.quietSince = now;
      this.quiet?.quiet();
      due = every;
    }
    return timerDelay(Math.min(left, due));
  }

  /**
   * What `patience` waits in the phase whose bound ended the attempt, when that is longer than the
   * bound: the upstream was slower than this attempt allowed, which by itself says nothing of
   * whether it is down. Undefined when no bound ended it, or none waits longer.
   */
  outwaitedBy(patience: AttemptTimeouts): number | undefined {
    if (this.expired === undefined) return undefined;
    const longest = patience[BOUND_OF[this.expired]];
    return this.ms < longest ? longest : undefined;
  }

  /** Whether a bound ended the attempt before its upstream's first byte (connect or first byte). */
  timedOutUnanswered(): boolean {
    return this.expired === "connect" || this.expired === "first byte";
  }

  private timedOut(): void {
    // A bound that passes after the attempt ended (its client gone first) ended nothing.
    if (!this.cancelled) this.expired = this.phase;
    this.end(
      upstreamTimeout(
        `${upstreamName(this.nameOfUpstream)} timed out waiting for ${WAITING_FOR[this.phase]} (${this.ms} ms)`,
      ),
    );
  }

  /** No bound runs: out of its deadline list, its idle timer cleared. */
  private stopBound(): void {
    if (this.deadlines !== undefined) {
      this.deadlines.remove(this);
      this.deadlines = undefined;
    }
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Ends the attempt (and its controller, if one was made), then the upstream call's stage hooked in (as a listener
   * added when the call began would have heard it), then the read in progress. Every abort of
   * the attempt comes through here, so a read needs no listener of its own on the signal.
   */
  private end(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    this.controller?.abort(reason);
    const stage = this.stage;
    this.stage = null;
    stage?.abort(reason);
    this.failPending(reason);
  }

  /** The relay is waiting on the upstream (true), or has handed a chunk to the client (false). */
  waiting(on: boolean): void {
    this.waitingSince = this.quietSince = on ? performance.now() : undefined;
  }

  /**
   * A relay's read must wait on the upstream: the idle bound counts from now, unless the wait
   * began earlier (an event since then moved it on: `rearm`). A relay that finds its next bytes
   * in hand reads no clock (routing/upstream-relay.ts).
   */
  waitingOnUpstream(): void {
    if (this.waitingSince === undefined) this.waitingSince = this.quietSince = performance.now();
  }

  /**
   * An event came in: the idle bound counts from now. The timer itself is left as it is (no
   * timer call per event): when it fires it re-arms for what is left since then (`expireIdle`).
   */
  rearm(): void {
    if (this.waitingSince !== undefined) this.waitingSince = performance.now();
  }

  /** The attempt is over (ended or abandoned): no bound, and no listener on the client's signal. */
  disarm(): void {
    this.stopBound();
    const client = this.client;
    if (client instanceof AbortSignal) client.removeEventListener("abort", this);
    else client.unfollow(this);
  }

  /**
   * What a stream read that failed means: a GatewayError as thrown (a timeout, a line bound),
   * the client gone when it was the client's abort, else `fallback`.
   */
  failure(error: unknown, fallback: GatewayError): GatewayError {
    if (error instanceof GatewayError) return error;
    if (this.cancelled) return this.reason instanceof GatewayError ? this.reason : clientClosed();
    return fallback;
  }

  /** Ends upstream work (the caller stopped reading, or the attempt is abandoned). */
  abort(reason: unknown): void {
    this.disarm();
    this.end(reason);
  }
}

/** The idle timer's callback, shared by every attempt (the attempt is the timer's argument). */
function expireIdle(attempt: Attempt): void {
  attempt.expireIdle();
}
