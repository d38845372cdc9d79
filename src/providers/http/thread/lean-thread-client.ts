import { type Abortable, type CancelHook, hookIn, unhook } from "../../../core/cancel-hook.ts";
import { IdTable } from "../../../core/id-table.ts";
import { onceATurn } from "../../../core/once-a-turn.ts";
import { threadEntry } from "../../../core/thread-entry.ts";
import type { LeanInit } from "../call-cancel.ts";
import type { WholeAnswer } from "../whole-answer.ts";
import type { ThreadAnswer, ThreadCall, ThreadRequest } from "./lean-thread-protocol.ts";

/** The event loop's side of the lean client's thread (lean-thread.ts). */
export interface LeanThread {
  /**
   * Sends a plain-http call (`threadable`) through the thread; settles with its answer whole, or
   * rejects: with the reason as soon as `init.cancel` or `init.signal` aborts it (the thread is
   * told, and closes that connection), else with the exchange's failure (a bad head, a refused
   * connection, …).
   */
  answer(url: string, init: ThreadInit, maxBody: number): Promise<WholeAnswer>;
  /** False once the thread failed or was closed: calls then stay on the loop. */
  usable(): boolean;
  /** Ends the thread; calls still in it are rejected. */
  close(): void;
}

/** A call's init as the thread takes it: what an upstream POST carries, nothing `fetch` alone would honour. */
export type ThreadInit = LeanInit & {
  headers: Record<string, string>;
  body: string | Uint8Array<ArrayBuffer>;
};

const INIT_FIELDS = new Set(["method", "headers", "body", "signal", "cancel"]);

/**
 * True for a call the thread takes as the loop's lean client would: plain http, no proxy from the
 * environment, an init of a method, plain headers, a text or byte body and a signal or cancel hook. Anything else
 * (https, a `Headers`, a stream body, another init field) stays where it was going. (`input` is
 * then a string.)
 */
export function threadable(
  input: string | URL | Request,
  init: RequestInit | undefined,
  env: Record<string, string | undefined> = process.env,
): init is ThreadInit {
  if (typeof input !== "string" || !input.startsWith("http://") || env.http_proxy || env.HTTP_PROXY)
    return false;
  if (
    init === undefined ||
    init.headers === undefined ||
    Object.getPrototypeOf(init.headers) !== Object.prototype
  )
    return false;
  if (typeof init.body !== "string" && !(init.body instanceof Uint8Array)) return false;
  for (const field in init) if (!INIT_FIELDS.has(field)) return false;
  return true;
}

const entry = () =>
  threadEntry(
    import.meta.url,
    new URL("./lean-thread.ts", import.meta.url),
    "./providers/http/thread/lean-thread.ts",
  );

type ThreadWorker = Worker & { ref(): void; unref(): void };

/** A call in the thread, waiting for its answer on the loop. */
class Waiter implements Abortable {
  /** The hook it is the stage of, or else the signal it listens on. */
  hook: CancelHook | undefined;
  signal: AbortSignal | undefined;

  constructor(
    readonly id: number,
    readonly resolve: (answer: WholeAnswer) => void,
    readonly reject: (error: unknown) => void,
    private readonly giveUp: (waiter: Waiter, reason: unknown) => void,
  ) {}

  /** The client left or a deadline passed: rejected at once, the thread told (the listener object: no closure a call). */
  handleEvent(): void {
    this.giveUp(this, this.signal?.reason);
  }

  abort(reason: unknown): void {
    this.giveUp(this, reason);
  }
}

/**
 * Starts the thread with the first call (a gateway whose calls all stay on the loop pays for no
 * second heap). The calls and cut-offs of one event-loop turn leave in one message
 * (`setImmediate`, after the turn's requests ran their microtasks), and the thread answers the
 * same way, so a call costs the loop a share of two messages (a structured-clone round trip costs
 * the loop ~4.4 µs alone, ~0.5 in batches of 32: docs/BENCHMARKS-HISTORY.md, "Session 11: the
 * lean client under load"). The thread holds the process only while a call is in it.
 */
export function createLeanThread(threadUrl: () => string = entry): LeanThread {
  const waiters = new IdTable<Waiter>();
  let next = 0;
  let worker: ThreadWorker | null = null;
  let held = false;
  let broken: Error | null = null;
  let calls: ThreadCall[] = [];
  let aborts: number[] = [];

  const post = () => {
    if (worker === null || (calls.length === 0 && aborts.length === 0)) return;
    worker.postMessage({ calls, aborts } satisfies ThreadRequest);
    calls = [];
    aborts = [];
  };
  const schedule = onceATurn(post);
  const hold = (wanted: boolean) => {
    if (held === wanted || worker === null) return;
    held = wanted;
    if (wanted) worker.ref();
    else worker.unref();
  };
  const settle = (waiter: Waiter) => {
    waiters.delete(waiter.id);
    if (waiter.hook) unhook(waiter.hook, waiter);
    else waiter.signal?.removeEventListener("abort", waiter);
    if (waiters.size === 0) hold(false);
  };
  const giveUp = (waiter: Waiter, reason: unknown) => {
    if (!waiters.has(waiter.id)) return;
    settle(waiter);
    // Not sent yet (aborted in the turn it was made): it never leaves; else the thread ends it.
    const queued = calls.findIndex((call) => call.id === waiter.id);
    if (queued >= 0) calls.splice(queued, 1);
    else {
      aborts.push(waiter.id);
      schedule();
    }
    waiter.reject(reason);
  };
  const failAll = (error: Error) => {
    broken = error;
    for (const waiter of waiters.values()) {
      settle(waiter);
      waiter.reject(error);
    }
    calls = [];
    aborts = [];
  };
  const answered = (event: MessageEvent<ThreadAnswer[]>) => {
    for (const answer of event.data) {
      const waiter = waiters.get(answer.id);
      if (!waiter) continue; // given up meanwhile
      settle(waiter);
      if ("error" in answer) waiter.reject(Object.assign(new Error(answer.error), { code: answer.code }));
      else waiter.resolve(answer);
    }
  };
  const thread = (): ThreadWorker => {
    if (worker !== null) return worker;
    const started = new Worker(threadUrl(), { name: "mindgw-lean" }) as ThreadWorker;
    started.onmessage = answered;
    started.onerror = (event) => {
      failAll(new Error(`the lean client's thread failed: ${event.message}`));
      started.terminate();
    };
    worker = started;
    held = true;
    return started;
  };

  return {
    answer(url, init, maxBody) {
      const hook = init.cancel;
      // A hook stands for the call's signal: read only without one (see lean-fetch.ts).
      const signal = hook === undefined ? (init.signal ?? undefined) : undefined;
      if (hook?.cancelled) return Promise.reject(hook.reason);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (broken) return Promise.reject(broken);
      const id = ++next;
      const { promise, resolve, reject } = Promise.withResolvers<WholeAnswer>();
      const waiter = new Waiter(id, resolve, reject, giveUp);
      // The call hooked into the caller's hook where it is free (no listener), else listening.
      if (hook && hookIn(hook, waiter)) waiter.hook = hook;
      else {
        waiter.signal = signal ?? hook?.signal;
        waiter.signal?.addEventListener("abort", waiter, { once: true });
      }
      waiters.set(id, waiter);
      thread();
      hold(true);
      calls.push({ id, url, method: init.method ?? "GET", headers: init.headers, body: init.body, maxBody });
      schedule();
      return promise;
    },
    usable: () => broken === null,
    close() {
      failAll(new Error("the lean client's thread stopped"));
      worker?.terminate();
      worker = null;
    },
  };
}
