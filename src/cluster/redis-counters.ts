import type { SharedAdmission, SharedCounters, SharedScope } from "../auth/shared-counters.ts";
import { ADMIT_SCRIPT, RECORD_SCRIPT } from "./admit-script.ts";
import type { RedisLink } from "./redis-link.ts";
import { RedisScript } from "./redis-script.ts";

const WINDOW_MS = 60_000;
/** Most admissions one script run decides (about 10 µs of Redis time each). */
const MAX_ADMISSIONS = 64;

/**
 * Where a subject's tokens are counted: one hash of per-second buckets with their total
 * (admit-script.ts). Named apart from the earlier format (`mgw:tpm:`, buckets only), which a
 * node of an older version still reads and writes during a rolling upgrade.
 */
export const tokensKey = (subject: string): string => `mgw:tokens:${subject}`;

/** Run by their hashes (EVALSHA): not their 2 KB of text on every request. */
const ADMIT = new RedisScript(ADMIT_SCRIPT);
const RECORD = new RedisScript(RECORD_SCRIPT);

/** Two scopes that count alike (the same subject may come with other limits after a reload). */
const sameScope = (a: SharedScope, b: SharedScope): boolean =>
  a.spendSubject === b.spendSubject &&
  a.rpm === b.rpm &&
  a.tpm === b.tpm &&
  a.budgetUsd === b.budgetUsd &&
  a.spentLocally === b.spentLocally;

const CODES = { 1: "budget_exceeded", 2: "rate_limited", 3: "rate_limited" } as const;
/** Which limit each refusing verdict is: a scope may have its tokens and its requests spent. */
const LIMITS = { 1: "budget", 2: "tokens", 3: "requests" } as const;

interface WaitingAdmission {
  scopes: readonly SharedScope[];
  now: number;
  resolve: (admission: SharedAdmission) => void;
  reject: (error: unknown) => void;
}

/** One request's verdict and usage, starting at `at` in the script's flat reply. */
function readAdmission(reply: readonly number[], at: number, scopes: number): SharedAdmission {
  const verdict = reply[at] ?? 0;
  const index = reply[at + 1] ?? 0;
  const wait = reply[at + 2] ?? 0;
  const usage = Array.from({ length: scopes }, (_, i) => {
    const u = at + 3 + i * 4;
    return {
      requests: reply[u] ?? 0,
      requestsResetMs: reply[u + 1] ?? 0,
      tokens: reply[u + 2] ?? 0,
      tokensResetMs: reply[u + 3] ?? 0,
    };
  });
  const code = CODES[verdict as keyof typeof CODES];
  if (!code) return { refused: null, usage };
  return { refused: { index, code, waitMs: wait, limit: LIMITS[verdict as keyof typeof CODES] }, usage };
}

export interface RedisCountersOptions {
  link: RedisLink;
  /** Unique per node: makes each request's member in the sorted sets unique. */
  nodeId: string;
  /** Live nodes last seen (the node directory). */
  nodes: () => number;
  /**
   * What to add to the times the node gives to read them on Redis's clock (redis-clock.ts), which
   * every node's windows share; absent: the times as given (tests inject their own clock).
   */
  clockOffset?: () => number;
  onError?: (error: unknown) => void;
  /**
   * Subscribes a listener to the link's going down and coming back (`SharedCounters.
   * onAvailabilityChange`: their availability is the link's health), as its owner hears them.
   */
  onAvailabilityChange?: (listener: (available: boolean) => void) => void;
}

/**
 * rpm, tpm and budgets counted in Redis, exact over every node: admission is one script run
 * atomically (cluster/admit-script.ts). A spend counter Redis lost (a restart) is seeded from
 * the storage totals of the first node that needs it; only spend recorded after it exists counts.
 */
export function createRedisCounters(options: RedisCountersOptions): SharedCounters {
  const { link } = options;
  const clockOffset = options.clockOffset ?? (() => 0);
  let sequence = 0;
  const pendingTokens = new Map<string, number>();
  const pendingSpend = new Map<string, number>();
  // The clock of the first record pending: the tokens' second (an injected clock in tests).
  let firstAt = 0;
  /** The call the pending records will go in: settled once Redis has answered it, or it failed. */
  let pendingCall: PromiseWithResolvers<void> | null = null;
  const add = (into: Map<string, number>, key: string, amount: number) =>
    into.set(key, (into.get(key) ?? 0) + amount);
  /** The records pending, as one script call, now (nothing when none is). */
  const sendRecords = (): void => {
    const call = pendingCall;
    if (call === null) return;
    pendingCall = null;
    const tokens = [...pendingTokens];
    const spend = [...pendingSpend];
    pendingTokens.clear();
    pendingSpend.clear();
    const keys = [
      ...tokens.map(([subject]) => tokensKey(subject)),
      ...spend.map(([subject]) => `mgw:spend:${subject}`),
    ];
    const argv = [
      String(Math.floor(firstAt / 1000)),
      String(WINDOW_MS),
      String(tokens.length),
      ...tokens.map(([, amount]) => String(amount)),
      ...spend.map(([, amount]) => String(amount)),
    ];
    link
      .call((client) => RECORD.run(client, keys, argv))
      .then(
        () => call.resolve(),
        (error: unknown) => {
          options.onError?.(error);
          call.resolve();
        },
      );
  };
  /**
   * Admissions go to Redis as one script run per batch (in arrival order, each seeing the counts
   * of those before it): one round trip for many requests. A batch is what arrived within one turn
   * of the event loop, and, while a batch is with Redis, everything that arrives until it answers:
   * only one is in flight, so the busier the node, the larger its batches and the fewer script
   * runs (each costs Redis and this node far more than one admission inside it). An admission
   * waits at most for the batch in flight, which is bounded by the Redis timeout; when that batch
   * fails (Redis gone or slower than the timeout), the admissions waiting behind it fail with it,
   * so they fall back to local counters at once instead of waiting a timeout of their own.
   *
   * Answers' tokens and spend go as one record call a turn of the event loop, coalesced by
   * subject: every answer charged in the turn in one call, off the answers' own path, sent at the
   * turn's end — ahead of the turn's batch on the same connection, so Redis counts them before it
   * decides any admission this node sends after them, and at once while a batch is with Redis
   * (pipelined behind it, not held back until it answers). An answer leaves only once Redis has
   * answered the call carrying its record (what `record` returns; http/sse-response.ts for a stream's bytes
   * holding its end marker, http/model-pipeline.ts for a whole answer), so the client's next
   * request, to any node, finds it counted however late Bun writes the call or Redis reads the
   * other node's: one round trip on a stream's last bytes and on a whole answer. A call that fails
   * or outlasts the Redis timeout lets them go all the same; the local counters, which count every
   * answer, are what the fallback admits on while Redis is away.
   */
  let waiting: WaitingAdmission[] = [];
  let scheduled = false;
  let inFlight = false;
  /** Sends what waits at the end of this turn: the turn's records, and a batch unless one is with Redis. */
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(sendWaiting);
  };
  const sendWaiting = () => {
    scheduled = false;
    // Sent before the batch, on its connection: Redis runs them first.
    sendRecords();
    if (inFlight || waiting.length === 0) return;
    const all = waiting;
    waiting = [];
    // Runs of at most MAX_ADMISSIONS: one script never holds Redis for long. Sent together,
    // they run in this order (one connection), so arrival order still decides.
    const runs: Promise<unknown>[] = [];
    for (let from = 0; from < all.length; from += MAX_ADMISSIONS)
      runs.push(admitBatch(all.slice(from, from + MAX_ADMISSIONS)));
    inFlight = true;
    void Promise.all(runs).then((failures) => {
      inFlight = false;
      const failure = failures.find((error) => error !== null);
      if (failure !== undefined) {
        const behind = waiting;
        waiting = [];
        for (const admission of behind) admission.reject(failure);
      }
      sendWaiting();
    });
  };
  /**
   * Sends one script run; settles once its admissions have their answers (never rejects: with
   * the error that failed them, or null).
   */
  const admitBatch = (batch: readonly WaitingAdmission[]): Promise<unknown> => {
    // Each scope once (a busy node's batch is mostly one key's requests): its three keys and four
    // limits, then per request its time, member and the indexes of its scopes. What Redis turns
    // into Lua strings per request is then a few short numbers, not three keys and seven values.
    const keys: string[] = [];
    const limits: string[] = [];
    const requests: string[] = [];
    const known = new Map<string, { scope: SharedScope; index: number }>();
    const indexOf = (s: SharedScope): number => {
      const seen = known.get(s.subject);
      if (seen && sameScope(seen.scope, s)) return seen.index;
      const index = keys.length / 3 + 1;
      known.set(s.subject, { scope: s, index });
      keys.push(`mgw:rpm:${s.subject}`, tokensKey(s.subject), `mgw:spend:${s.spendSubject}`);
      limits.push(
        String(s.rpm ?? -1),
        String(s.tpm ?? -1),
        String(s.budgetUsd ?? -1),
        String(s.spentLocally),
      );
      return index;
    };
    // Each request's time on Redis's clock, read once a batch.
    const offset = clockOffset();
    for (const { scopes, now } of batch) {
      const at = now + offset;
      requests.push(String(at), `${at}:${options.nodeId}:${++sequence}`, String(scopes.length));
      for (const s of scopes) requests.push(String(indexOf(s)));
    }
    const argv = [String(WINDOW_MS), String(keys.length / 3), ...limits, String(batch.length), ...requests];
    return link
      .call((client) => ADMIT.run(client, keys, argv))
      .then((reply) => {
        const numbers = reply as number[];
        let at = 0;
        for (const admission of batch) {
          admission.resolve(readAdmission(numbers, at, admission.scopes.length));
          at += 3 + 4 * admission.scopes.length;
        }
        return null;
      })
      .catch((error: unknown) => {
        for (const admission of batch) admission.reject(error);
        return error;
      });
  };
  return {
    available: () => link.healthy(),
    ...(options.onAvailabilityChange ? { onAvailabilityChange: options.onAvailabilityChange } : {}),
    nodes: () => Math.max(1, options.nodes()),
    admit(scopes, now): Promise<SharedAdmission> {
      return new Promise((resolve, reject) => {
        waiting.push({ scopes, now, resolve, reject });
        if (!inFlight) schedule();
      });
    },
    record(tokens, spend, now) {
      if (tokens.length === 0 && spend.length === 0) return undefined;
      if (pendingCall === null) {
        firstAt = now + clockOffset();
        pendingCall = Promise.withResolvers<void>();
        schedule();
      }
      for (const t of tokens) add(pendingTokens, t.subject, t.tokens);
      for (const s of spend) add(pendingSpend, s.subject, s.usd);
      return pendingCall.promise;
    },
  };
}
