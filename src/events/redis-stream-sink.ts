import { RedisLink } from "../cluster/redis-link.ts";
import { describeError } from "../core/describe-error.ts";
import { CloseDeadline } from "./close-deadline.ts";
import type { DropListener, DropReason } from "./drop-log.ts";
import { EventQueue, SINK_QUEUE_BYTES } from "./event-queue.ts";
import type { EventSink } from "./event-sink.ts";

export interface RedisStreamSinkOptions {
  /** `redis://host:port` (`cluster.redis_url`). */
  url: string;
  /**
   * The stream key events are appended to (`XADD`), one entry per event: field `event`, its JSON,
   * and `event_id`, the id each append of it carries (a consumer de-duplicates by it).
   */
  stream: string;
  /** Trims the stream to about this many entries (`MAXLEN ~`). */
  maxLen: number;
  /** Only these event types; all when absent. */
  types?: readonly string[];
  /** Events held while Redis is away; past it the oldest are dropped (counted). */
  maxQueue?: number;
  /** The most their JSON may add up to (characters: bytes for ASCII); past it too the oldest are dropped (counted). */
  maxQueueBytes?: number;
  /** Most entries appended in one round (pipelined). */
  batchSize?: number;
  /** Wait before trying again while Redis is away. */
  retryMs?: number;
  timeoutMs?: number;
  /**
   * Told about every dropped event count and why (`queue_full` or `closed`), for a log line or a
   * metric, with why the appends fail while they do.
   */
  onDrop?: DropListener["onDrop"];
  /** Told when an append succeeds after drops, with how many since the last one (drop-log.ts logs a burst once). */
  onResumed?: DropListener["onResumed"];
}

export interface RedisStreamSink extends EventSink {
  close(until?: number): Promise<void>;
  stats(): { queued: number; appended: number; dropped: number };
}

/** An event taken to be appended: its JSON, and the id each append of it carries. */
interface Numbered {
  readonly json: string;
  readonly id: string;
}

/**
 * A queued event: its JSON as published (no id made on the request path), or, once taken and put
 * back unsent, with the id its first append carried.
 */
type Queued = string | Numbered;

const jsonOf = (item: Queued) => (typeof item === "string" ? item : item.json);

/**
 * Appends gateway events to a Redis stream, for consumers with `XREAD`/`XREADGROUP`. `publish`
 * only queues; a background pump appends in pipelined batches. While Redis is away events wait
 * in a bounded queue and the pump retries; nothing ever waits on Redis on the request path.
 * At least once: an append whose answer is lost (a timeout, a dropped connection) may have been
 * made, and is made again; both copies carry the event's one `event_id`.
 */
export function createRedisStreamSink(options: RedisStreamSinkOptions): RedisStreamSink {
  const maxQueue = options.maxQueue ?? 10_000;
  const batchSize = options.batchSize ?? 100;
  const retryMs = options.retryMs ?? 500;
  const types = options.types ? new Set(options.types) : null;
  /** Why the link is down, as it says (`onHealthChange`); undefined while it is up. */
  let down: string | undefined;
  const link = new RedisLink({
    url: options.url,
    timeoutMs: options.timeoutMs ?? 2000,
    onHealthChange: (healthy, reason) => {
      down = healthy ? undefined : reason;
    },
  });
  const started = link.start();
  const queue = new EventQueue<Queued>(maxQueue, {
    max: options.maxQueueBytes ?? SINK_QUEUE_BYTES,
    of: (item) => jsonOf(item).length,
  });
  /** Ids unique across nodes and restarts: this sink's own prefix, then a count. */
  const idPrefix = crypto.randomUUID();
  let numbered = 0;
  const numberedOf = (item: Queued): Numbered =>
    typeof item === "string" ? { json: item, id: `${idPrefix}-${++numbered}` } : item;
  let appended = 0;
  let dropped = 0;
  let pumping: Promise<void> | null = null;
  /** The batch being appended: how many, until its answers are counted. */
  let appending = 0;
  let closing = false;
  let closed: Promise<void> | null = null;
  /** Passes at the stop's `until`: close lets go of the queue and of the batch in flight then. */
  const givenUp = new CloseDeadline();
  let retry: ReturnType<typeof setTimeout> | null = null;

  /** Dropped since the last append: a burst the next one ends. */
  let droppedSince = 0;
  /**
   * Why the last round's appends failed, while they do: the drop lines say it. Redis away is said as
   * the cluster's line says it (`redis unavailable (REASON)`); an error Redis replied, as it is.
   */
  let failing: string | undefined;
  const unavailable = (reason: string) => `redis unavailable (${reason})`;
  /**
   * Events let go unsent: counted, and told why, as the last round failed or, before any round
   * has failed since the link went down (a burst of publishes in one turn), as the link says.
   */
  const lost = (count: number, reason: DropReason = "queue_full") => {
    if (count === 0) return;
    dropped += count;
    droppedSince += count;
    options.onDrop?.(count, reason, failing ?? (down === undefined ? undefined : unavailable(down)));
  };

  const maxLen = String(options.maxLen);
  const append = ({ json, id }: Numbered) =>
    link.call((client) =>
      client.send("XADD", [options.stream, "MAXLEN", "~", maxLen, "*", "event", json, "event_id", id]),
    );

  const pump = () => {
    if (pumping || retry) return;
    pumping = (async () => {
      await started;
      while (queue.length > 0) {
        // Out of the queue while in flight: a publish meanwhile lets go of a queued event, never of
        // one being appended (which would then count as appended and as dropped).
        // Numbered as they are taken, off the request path; put back, each keeps its number.
        const batch = queue.take(batchSize).map(numberedOf);
        appending = batch.length;
        const results = await Promise.allSettled(batch.map(append));
        // Given up on by close, which counted this batch as let go: its answers change nothing now.
        if (givenUp.signal.aborted) return;
        appending = 0;
        // Entries before the first failure are in; the rest go back to the front, in order, for the
        // retry (the oldest of them let go, counted, if the queue filled meanwhile).
        const firstFailure = results.findIndex((result) => result.status === "rejected");
        const done = firstFailure === -1 ? batch.length : firstFailure;
        appended += done;
        if (done > 0) {
          if (droppedSince > 0) options.onResumed?.(droppedSince);
          droppedSince = 0;
        }
        const failure = firstFailure === -1 ? undefined : results[firstFailure];
        failing =
          failure?.status !== "rejected"
            ? undefined
            : down !== undefined
              ? unavailable(down)
              : describeError(failure.reason);
        if (failure !== undefined) {
          lost(queue.putBack(batch.slice(done)));
          if (closing) return;
          retry = setTimeout(() => {
            retry = null;
            pump();
          }, retryMs);
          retry.unref?.();
          return;
        }
      }
    })().finally(() => {
      pumping = null;
      if (queue.length > 0 && !retry && !closing) pump();
    });
  };

  /** The batch in flight and the one more try (while Redis is up) that close waits for. */
  const appendWhatIsLeft = async () => {
    while (pumping) await pumping;
    if (link.healthy() && queue.length > 0 && !givenUp.signal.aborted) {
      pump();
      while (pumping) await pumping;
    }
  };

  const closeBy = async (until: number | undefined) => {
    if (retry) clearTimeout(retry);
    retry = null;
    givenUp.arm(until);
    await givenUp.within(appendWhatIsLeft());
    givenUp.disarm();
    // A batch given up on in flight was written to Redis and not answered: it may have been
    // appended, and is counted as dropped all the same (at least once either way: a consumer
    // de-duplicates by `event_id`).
    const unanswered = givenUp.signal.aborted ? appending : 0;
    if (unanswered > 0)
      failing = `no answer from redis by the stop's deadline: the ${unanswered} being appended may have been appended all the same`;
    lost(queue.clear() + unanswered, "closed");
    link.close();
  };

  return {
    publish(event) {
      if (closing || (types && !types.has(event.type))) return;
      lost(queue.push(JSON.stringify(event)));
      pump();
    },
    /**
     * Appends what it can of the queue (one try while Redis is up), until `until` (the stop's, a
     * `performance.now()` time) at the latest; then drops the rest, saying so, and disconnects.
     */
    close(until) {
      closing = true;
      closed ??= closeBy(until);
      return closed;
    },
    stats: () => ({ queued: queue.length, appended, dropped }),
  };
}
