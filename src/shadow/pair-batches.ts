import { messageOf } from "../core/describe-error.ts";
import type { Logger } from "../log/logger.ts";
import type { ShadowStore } from "../storage/storage.ts";
import { agreementReady } from "./agreement.ts";
import type { ShadowRecord } from "./shadow-api-schema.ts";
import type { FinishedPair } from "./shadow-pair.ts";
import { answerOf, pairFacts, type RecordRules, shadowRecord } from "./shadow-record.ts";

/** A batch this large is compared and written at once, without waiting for the flush window. */
const BATCH = 500;

export interface PairBatchOptions {
  /** Where pairs are kept; absent: each pair is compared and logged. */
  readonly store: Pick<ShadowStore, "insert" | "insertJson"> | undefined;
  readonly logger: Logger;
  /** The current config's rules, read once per batch. */
  readonly rules: () => RecordRules;
  /** `audit.flush_ms`: how long a finished pair may wait to be written with others. */
  readonly flushMs?: (() => number) | undefined;
  readonly now: () => number;
  /** Told of each pair recorded: its model and what its shadow copy cost. */
  readonly spent?: (model: string, usd: number) => void;
}

export interface PairBatches {
  /** Queues a finished pair: a full batch is written at once, else within the flush window. */
  push(pair: FinishedPair): void;
  /** Compares and writes every queued pair now, one batch (one transaction) at a time. */
  flush(): void;
  /** Records the shadow thread compared itself (a JSON list of ShadowRecord), to the store. */
  saveJson(json: string): void;
  /** Pairs queued or being written. */
  busy(): boolean;
  /** The writes under way. */
  writes(): Promise<void>[];
}

/**
 * The recording side of the shadow runner: finished pairs are queued and compared and written
 * together, every `flushMs` or `BATCH` pairs (one transaction), so the work a request leaves
 * behind is a queue push, and the comparisons run in one pass per batch. A batch the store
 * refuses is logged and dropped (pairs are measurements, not the audit log).
 */
export function createPairBatches(options: PairBatchOptions): PairBatches {
  const { store, logger, now } = options;
  const queue: FinishedPair[] = [];
  /** Batches being written. */
  const recording = new Set<Promise<void>>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  /** Tracks one write; a refused one is logged with its count of pairs and dropped. */
  const save = (writing: Promise<unknown>, pairs: () => number) => {
    const saving = writing
      .then(
        () => {},
        (error: unknown) =>
          logger.warn("recording shadow pairs failed; they are dropped", {
            pairs: pairs(),
            error: messageOf(error),
          }),
      )
      .finally(() => recording.delete(saving));
    recording.add(saving);
  };

  /** Builds the stored record of a finished pair on the event loop: answers read, compared and priced. */
  const recordOf = (pair: FinishedPair, rules: RecordRules): ShadowRecord => {
    const { source } = pair;
    return shadowRecord(
      pairFacts(pair.request, pair.route),
      pair.primaryRecord,
      source && (() => answerOf(pair.request.operation, source)),
      pair.shadow,
      pair.at ?? now(),
      rules,
    );
  };

  /** Ajv's load, where a queued pair's request gives a JSON schema and it is not loaded yet. */
  const agreementWait = () => {
    for (const pair of queue) {
      const ready = agreementReady(pair.request.body);
      if (ready) return ready;
    }
    return undefined;
  };

  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    // Compared once it is loaded, the pairs still queued (a load that fails drops them, said as a
    // write that failed). Tracked as a write, so that a close waits for it.
    const waiting = agreementWait();
    if (waiting) {
      const pairs = queue.length;
      const dropOnFailure = (error: unknown) => {
        queue.length = 0;
        throw error;
      };
      save(waiting.then(flush, dropOnFailure), () => pairs);
      return;
    }
    while (queue.length > 0) {
      const batch = queue.splice(0, BATCH);
      const rules = options.rules();
      const records = batch.map((pair) => recordOf(pair, rules));
      for (const record of records) options.spent?.(record.model, record.shadow.costUsd);
      if (!store) {
        for (const record of records)
          logger.info("shadow compared", {
            request_id: record.requestId,
            model: record.model,
            shadow_status: record.shadow.status,
            similarity: record.agreement.similarity ?? "n/a",
          });
        continue;
      }
      save(store.insert(records), () => records.length);
    }
  };

  return {
    push(pair) {
      queue.push(pair);
      if (queue.length >= BATCH) flush();
      else if (timer === null) {
        timer = setTimeout(flush, options.flushMs?.() ?? 100);
        // A forgotten runner must not keep the process alive; close() flushes.
        timer.unref();
      }
    },
    flush,
    saveJson(json) {
      if (!store) return;
      const writing = store.insertJson ? store.insertJson(json) : store.insert(JSON.parse(json));
      save(writing, () => (JSON.parse(json) as unknown[]).length);
    },
    busy: () => queue.length > 0 || recording.size > 0,
    writes: () => [...recording],
  };
}
