import { describeError } from "../core/describe-error.ts";
import { isRedirectStatus, redirectNotFollowed } from "../core/redirect-words.ts";
import { CloseDeadline } from "./close-deadline.ts";
import type { DropListener, DropReason } from "./drop-log.ts";
import { sinkQueue } from "./event-queue.ts";
import type { EventSink } from "./event-sink.ts";

export interface WebhookSinkOptions {
  /** Where batches are POSTed as `{"events":[...]}`. */
  url: string;
  /** Signs every delivery: `x-mindgw-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
  secret: string;
  /** Only events whose `type` is listed are sent; all when absent. */
  types?: readonly string[];
  /** Most events in one POST. */
  batchSize?: number;
  /** Longest an event waits for its batch to fill. */
  flushMs?: number;
  /** Events held while the receiver is slow or down; past it the oldest are dropped (counted). */
  maxQueue?: number;
  /** The most their JSON may add up to (characters: bytes for ASCII); past it too the oldest are dropped (counted). */
  maxQueueBytes?: number;
  /** Tries per batch (the first included) before it is dropped (counted). */
  maxAttempts?: number;
  /** First retry delay; doubles per retry, with jitter. */
  backoffMs?: number;
  /** Bound on one POST. */
  timeoutMs?: number;
  /**
   * On close, how long the batches still queued keep being sent and retried (with the same
   * backoff and `maxAttempts`); past it, or past the stop's `until` if sooner, the POST in flight
   * is cut and what is left is dropped (counted, reason `closed`).
   */
  closeTimeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
  /** Told about every dropped event count and why, for a log line or a metric. */
  onDrop?: DropListener["onDrop"];
  /** Told when a delivery succeeds after drops, with how many since the last one (drop-log.ts logs a burst once). */
  onResumed?: DropListener["onResumed"];
}

export interface WebhookSink extends EventSink {
  close(until?: number): Promise<void>;
  stats(): WebhookStats;
}

export interface WebhookStats {
  queued: number;
  delivered: number;
  dropped: number;
}

/** The hex HMAC-SHA256 a receiver recomputes to check a delivery: over `${t}.${body}`. */
export async function webhookSignature(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${body}`));
  return Buffer.from(mac).toString("hex");
}

/** A receiver's answer that another try may change: overload, rate limit, server trouble. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Delivers gateway events to an HTTP endpoint: batched, signed, retried with backoff, one
 * delivery in flight at a time (so batches arrive in order). `publish` only queues: a slow or
 * dead receiver costs the gateway a bounded queue, never a request.
 */
export function createWebhookSink(options: WebhookSinkOptions): WebhookSink {
  const batchSize = options.batchSize ?? 100;
  const flushMs = options.flushMs ?? 1000;
  const maxQueue = options.maxQueue ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const send = options.fetch ?? fetch;
  const random = options.random ?? Math.random;
  const types = options.types ? new Set(options.types) : null;
  const queue = sinkQueue(maxQueue, options.maxQueueBytes);
  let delivered = 0;
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pumping: Promise<void> | null = null;
  let closing: Promise<void> | null = null;
  /** Passes at the close's bound: cuts the POST in flight and the wait for a retry. */
  const givenUp = new CloseDeadline();

  /** Dropped since the last delivery: a burst the next one ends. */
  let droppedSince = 0;

  const drop = (count: number, reason: DropReason, error?: string) => {
    if (count === 0) return;
    dropped += count;
    droppedSince += count;
    options.onDrop?.(count, reason, error);
  };

  async function deliver(batch: readonly string[]): Promise<void> {
    const body = `{"events":[${batch.join(",")}]}`;
    const delivery = crypto.randomUUID();
    for (let attempt = 1; ; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000);
      let status = 0;
      let location: string | null = null;
      let failure: unknown;
      try {
        const response = await send(options.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-mindgw-delivery": delivery,
            "x-mindgw-signature": `t=${timestamp},v1=${await webhookSignature(options.secret, timestamp, body)}`,
          },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), givenUp.signal]),
          // Followed, a redirect would take the signature and the events (key names, tenants,
          // models) to wherever it points, in cleartext where that is http: a failed delivery.
          redirect: "manual",
        });
        status = response.status;
        location = response.headers.get("location");
        await response.body?.cancel();
      } catch (error) {
        status = 0; // network failure or timeout: worth another try
        failure = error;
      }
      if (status >= 200 && status < 300) {
        delivered += batch.length;
        if (droppedSince > 0) options.onResumed?.(droppedSince);
        droppedSince = 0;
        return;
      }
      if (isRedirectStatus(status)) return drop(batch.length, "redirected", redirected(status, location));
      if (status !== 0 && !retryable(status)) return drop(batch.length, "rejected", lastTry(status, failure));
      // A batch that used its last try ran out of retries, even if the close deadline passed meanwhile.
      if (attempt >= maxAttempts) return drop(batch.length, "retries_exhausted", lastTry(status, failure));
      if (givenUp.signal.aborted) return drop(batch.length, "closed", lastTry(status, failure));
      // The close deadline ends the wait early.
      await givenUp.wait(backoffMs * 2 ** (attempt - 1) * (0.5 + random() / 2));
    }
  }

  /**
   * What a dropped batch's last try met, for the drop line: the receiver's status (never its body,
   * which may hold anything), or why no answer came, its kind and words (redacted as every logged
   * error; the webhook's URL, whose path is a credential, said as its origin should a `fetch` quote it,
   * as written or as it parses it: `HTTP://HOOKS:80/…` is `http://hooks/…` to Bun).
   */
  const lastTry = (status: number, failure: unknown) => {
    if (status !== 0) return `the receiver answered ${status}`;
    const { href, origin } = new URL(options.url);
    return `no answer: ${describeError(failure).replaceAll(options.url, origin).replaceAll(href, origin)}`;
  };
  /**
   * What the drop of a batch answered with a redirect says: the status and where it led by scheme
   * and host alone, as the drop line's `url` names the webhook (a webhook's path is its credential,
   * Slack's `/services/…/<secret>`, and an http → https redirect keeps it). A location with no
   * origin (`data:`, `mailto:`: the URL's origin is `"null"`) says no place, as a missing one.
   */
  const redirected = (status: number, location: string | null) =>
    `the receiver ${redirectNotFollowed(status, originOf(location))}`;

  const originOf = (location: string | null): string | null => {
    if (location === null || !URL.canParse(location, options.url)) return null;
    const origin = new URL(location, options.url).origin;
    return origin === "null" ? null : origin;
  };

  const pump = () => {
    if (pumping) return;
    pumping = (async () => {
      while (queue.length > 0) {
        if (givenUp.signal.aborted) return drop(queue.clear(), "closed");
        await deliver(queue.take(batchSize));
      }
    })().finally(() => {
      pumping = null;
      // Events that arrived during the last delivery wait for their own batch to fill.
      if (queue.length >= batchSize || (closing && queue.length > 0)) pump();
      else if (queue.length > 0) schedule();
    });
  };

  const schedule = () => {
    if (timer !== null || pumping) return;
    timer = setTimeout(() => {
      timer = null;
      pump();
    }, flushMs);
    timer.unref?.();
  };

  return {
    publish(event) {
      if (closing || (types && !types.has(event.type))) return;
      drop(queue.push(JSON.stringify(event)), "queue_full");
      if (queue.length >= batchSize) {
        if (timer !== null) clearTimeout(timer);
        timer = null;
        pump();
      } else schedule();
    },
    /**
     * Sends what is queued, retrying as before, for up to `closeTimeoutMs`, or until `until` (the
     * stop's, a `performance.now()` time) if sooner; then drops the rest, saying so.
     * A receiver answering 503 for a moment (restarting, say) loses nothing.
     */
    close(until) {
      closing ??= (async () => {
        if (timer !== null) clearTimeout(timer);
        timer = null;
        givenUp.arm(until, closeTimeoutMs);
        pump();
        while (pumping) await pumping;
        givenUp.disarm();
      })();
      return closing;
    },
    stats: () => ({ queued: queue.length, delivered, dropped }),
  };
}
