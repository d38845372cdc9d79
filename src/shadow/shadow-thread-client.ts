import { unavailable } from "../core/gateway-error.ts";
import { IdTable } from "../core/id-table.ts";
import { onceATurn } from "../core/once-a-turn.ts";
import { threadEntry } from "../core/thread-entry.ts";
import { createRingWriter, type RingWriter } from "./message-ring.ts";
import type { CopyEnd, ShadowOutcome } from "./read-copy.ts";
import type {
  ShadowThreadMessage,
  ShadowThreadReply,
  ShadowThreadRequest,
  ThreadCopy,
  ThreadPrimary,
  ThreadRules,
  WireBytes,
  WireCopy,
  WirePrimary,
} from "./shadow-thread-protocol.ts";

/** The gateway's side of the shadow thread (shadow-thread.ts). */
export interface ShadowThread {
  /**
   * Sends a copy through the thread; settles with its outcome, or rejects with `signal`'s reason
   * as soon as it aborts (the thread is told to cut the copy off).
   */
  exchange(copy: Omit<ThreadCopy, "id">, signal: AbortSignal): Promise<ShadowOutcome>;
  /**
   * Hands the thread a copy as an owned pair (`copy.pair` set): it is sent, timed out and
   * recorded there; `owned.done(id)` is called when the copy is answered or cut off.
   */
  hand(copy: Omit<ThreadCopy, "id">): number;
  /** The primary's side of an owned pair. */
  primary(primary: ThreadPrimary): void;
  /** How owned pairs are recorded from now on. */
  rules(rules: ThreadRules): void;
  /** Cuts off every owned copy in flight (each recorded as 503). */
  stop(): void;
  /** Resolves when every owned pair finished so far has been handed to `owned.records`. */
  flush(): Promise<void>;
  /** False once the thread failed or was closed: copies are then answered at once as failed. */
  usable(): boolean;
  /** Ends the thread; copies still in it are rejected. */
  close(): void;
}

/** Which copies go through the shadow thread. */
export type ShadowThreadMode = "all" | "stream" | "off";

/**
 * `MINDGW_SHADOW_THREAD`: unset or `1`, every same-dialect copy; `stream`, stream copies only
 * (session 4's default); `0`, none. Since the thread also compares and records the pair, a whole
 * answer's copy costs the event loop less there too, at the same CPU for the process
 * (docs/BENCHMARKS-HISTORY.md, "Session 5" of the shadow section).
 */
export function shadowThreadMode(env: Record<string, string | undefined> = process.env): ShadowThreadMode {
  const value = env.MINDGW_SHADOW_THREAD;
  return value === "0" ? "off" : value === "stream" ? "stream" : "all";
}

/** Room for a few thousand copies in flight to the thread; more waits for none, it goes the plain way. */
const RING_BYTES = 4 * 1024 * 1024;

const entry = () =>
  threadEntry(import.meta.url, new URL("./shadow-thread.ts", import.meta.url), "./shadow/shadow-thread.ts");

/** Where an owned pair's news goes on the event loop (shadow-runner.ts). */
export interface OwnedPairs {
  /**
   * The owned copy `id` was answered or cut off (`ended`: how), or lost with the thread (no
   * `ended`): it no longer counts against the cap.
   */
  done(id: number, ended?: CopyEnd): void;
  /** A batch of finished pairs' records, as the JSON text of an array. */
  records(json: string): void;
  /** A pair recorded there: its model and what its shadow copy cost. */
  spent?(model: string, usd: number): void;
  /**
   * The thread failed (it threw, or could not start): `lost` owned pairs were in it and will not
   * be recorded; from now on every copy is answered at once as failed (503), on the event loop.
   */
  failed?(lost: number, reason: string): void;
  /** The thread shadows on, but prices nothing by the catalogue, which did not load there: `reason`. */
  unpriced?(reason: string): void;
}

interface Waiter {
  resolve(outcome: ShadowOutcome): void;
  reject(error: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
}

type ThreadWorker = Worker & { ref(): void; unref(): void };

/**
 * Starts the thread with the first copy (a gateway that mirrors nothing pays for no second
 * heap). Copies and cut-offs of one event-loop turn leave in one message (`setImmediate`: the
 * requests Bun's server hands over in one turn each run their own microtasks), and the thread
 * answers the same way, so a copy costs the event loop about a share of two messages.
 */
export function createShadowThread(owned?: OwnedPairs, threadUrl: () => string = entry): ShadowThread {
  // By id in IdTables, not a Map and a Set: every copy's id leaves again, and a long-lived Map
  // that entries leave keeps each (a waiter holds the copy's promise and signal) alive through
  // young collections until a full one (core/id-table.ts).
  const waiters = new IdTable<Waiter>();
  let next = 0;
  let worker: ThreadWorker | null = null;
  let broken: Error | null = null;
  let ring: RingWriter | undefined;
  let copies: WireCopy[] = [];
  let bytes: Uint8Array[] = [];
  const wire = (body: string | Uint8Array): string | WireBytes =>
    typeof body === "string" ? body : { bytes: bytes.push(body) - 1 };
  let aborts: number[] = [];
  let primaries: WirePrimary[] = [];
  let rules: ThreadRules | undefined;
  let stop = false;
  let flush = false;
  /** Owned copies in flight (each id as itself), and the callers of `flush` waiting for `flushed`. */
  const handed = new IdTable<number>();
  let flushes: (() => void)[] = [];

  const post = () => {
    if (worker === null) return;
    const request: ShadowThreadRequest = {
      copies,
      aborts,
      ...(primaries.length > 0 ? { primaries } : {}),
      ...(rules ? { rules } : {}),
      ...(stop ? { stop } : {}),
      ...(flush ? { flush } : {}),
    };
    const json = JSON.stringify(request);
    worker.postMessage((ring?.write(bytes, json) ?? { json, bytes }) satisfies ShadowThreadMessage);
    copies = [];
    bytes = [];
    aborts = [];
    primaries = [];
    rules = undefined;
    stop = false;
    flush = false;
  };
  const schedule = onceATurn(post);
  // Held only while a copy is in the thread: an idle thread must not keep the process alive.
  const settled = () => {
    if (waiters.size === 0 && handed.size === 0 && flushes.length === 0) worker?.unref();
  };
  const failAll = (error: Error) => {
    broken = error;
    const failing = waiters.values();
    waiters.clear();
    for (const waiter of failing) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.reject(error);
    }
    // Owned copies lost with the thread: no longer in flight (their pairs are not recorded).
    const lost = handed.values();
    handed.clear();
    for (const id of lost) owned?.done(id);
    const waiting = flushes;
    flushes = [];
    for (const resolve of waiting) resolve();
  };
  const thread = (): ThreadWorker => {
    if (worker !== null) return worker;
    const started = new Worker(threadUrl(), { name: "mindgw-shadow" }) as ThreadWorker;
    ring = createRingWriter(RING_BYTES);
    started.postMessage({ ring: ring.buffer } satisfies ShadowThreadMessage);
    started.onmessage = (event: MessageEvent<ShadowThreadReply>) => {
      for (const done of event.data.outcomes) {
        const { id, outcome } = done;
        if (outcome === null) {
          if (handed.delete(id)) owned?.done(id, done.ended);
          continue;
        }
        const waiter = waiters.get(id);
        if (!waiter) continue;
        waiters.delete(id);
        waiter.signal.removeEventListener("abort", waiter.onAbort);
        waiter.resolve(outcome);
      }
      for (const json of event.data.records ?? []) owned?.records(json);
      for (const [model, usd] of event.data.spent ?? []) owned?.spent?.(model, usd);
      if (event.data.unpriced !== undefined) owned?.unpriced?.(event.data.unpriced);
      if (event.data.flushed) {
        const waiting = flushes;
        flushes = [];
        for (const resolve of waiting) resolve();
      }
      settled();
    };
    started.onerror = (event) => {
      const lost = handed.size;
      failAll(unavailable(`the shadow thread failed: ${event.message}`));
      owned?.failed?.(lost, event.message);
    };
    worker = started;
    return started;
  };

  return {
    exchange(copy, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      if (broken) return Promise.reject(broken);
      const id = ++next;
      return new Promise<ShadowOutcome>((resolve, reject) => {
        const onAbort = () => {
          if (!waiters.delete(id)) return;
          aborts.push(id);
          schedule();
          settled();
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiters.set(id, { resolve, reject, signal, onAbort });
        thread().ref();
        copies.push({ ...copy, id, body: wire(copy.body) });
        schedule();
      });
    },
    hand(copy) {
      const id = ++next;
      if (broken) {
        // Nothing will answer for it: done at once, so the cap and a stop do not wait on it.
        queueMicrotask(() => owned?.done(id));
        return id;
      }
      handed.set(id, id);
      thread().ref();
      copies.push({ ...copy, id, body: wire(copy.body) });
      schedule();
      return id;
    },
    primary(primary) {
      const { answer } = primary;
      primaries.push(
        answer?.kind === "bytes" || answer?.kind === "sse"
          ? { ...primary, answer: { kind: answer.kind, body: { bytes: bytes.push(answer.body) - 1 } } }
          : (primary as WirePrimary),
      );
      schedule();
    },
    rules(next) {
      rules = next;
      schedule();
    },
    stop() {
      stop = true;
      schedule();
    },
    flush() {
      if (worker === null || broken) return Promise.resolve();
      worker.ref();
      flush = true;
      schedule();
      return new Promise<void>((resolve) => flushes.push(resolve));
    },
    usable: () => broken === null,
    close() {
      failAll(unavailable("the shadow thread stopped"));
      worker?.terminate();
      worker = null;
    },
  };
}
