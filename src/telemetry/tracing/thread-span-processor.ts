import type { Context } from "@opentelemetry/api";
import { TraceFlags } from "@opentelemetry/api";
import type { ReadableSpan, Span, SpanProcessor } from "@opentelemetry/sdk-trace";
import { messageOf } from "../../core/describe-error.ts";
import { onceATurn } from "../../core/once-a-turn.ts";
import { threadEntry } from "../../core/thread-entry.ts";
import type { LaterSpans, SpanBatches } from "./batch-tracer.ts";
import { PostedMemories } from "./posted-memory.ts";
import { SpanBatchWriter } from "./span-batch.ts";
import type { BatchMemory, ExportThreadReply, ExportThreadRequest, SpanBatch } from "./span-batch-layout.ts";
import { BatchRing } from "./span-batch-ring.ts";
import { tableUnchanged } from "./string-table.ts";

type Request = ExportThreadRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, "id">
    : never
  : never;
type ThreadWorker = Worker & { ref(): void; unref(): void };
/** Told of the thread's reply to a request; `spans`, the request's. */
type Answered = (reply: ExportThreadReply, spans: number) => void;

/** Batches the ring holds that the thread has not taken yet; one more goes by message. */
const RING_SLOTS = 16;

export interface ThreadSpanProcessorOptions {
  /** The thread's `process.env`: where its exporter reads `OTEL_EXPORTER_OTLP_*`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`: spans per batch handed over (512). */
  readonly maxExportBatchSize?: number;
  /** `OTEL_BSP_SCHEDULE_DELAY`: the longest a span waits for its batch to fill, ms (5000). */
  readonly scheduledDelayMillis?: number;
  /** Spans in the current batch or handed over and not yet sent; a span beyond it is dropped. */
  readonly maxPendingSpans: number;
  /** Told when spans are dropped (hand-over full, the thread failed, the collector refused). */
  onDropped(spans: number, reason: string): void;
  /** Told when a batch reached the collector (once a batch: a loss burst's end). */
  onDelivered?(): void;
}

/**
 * The span processor of `mindgw serve`'s trace pipeline: each sampled span is written into
 * the current batch as it ends (span-batch.ts: flat numbers and a string table, no object per
 * span), and a full batch, or one `scheduledDelayMillis` old, is handed to the export thread
 * (through the batch ring, span-batch-ring.ts, or posted), which runs the real OTLP exporter.
 * It does what the SDK's BatchSpanProcessor does with the `OTEL_BSP_*` settings, without
 * keeping the SDK's span objects alive until their batch goes (the costliest part of that
 * processor under Bun: every queued span outlives a young collection) and without a second pass
 * over them to serialise a batch for the thread.
 * Spans that do not fit the bound are dropped and counted, never queued without limit.
 */
export class ThreadSpanProcessor implements SpanProcessor, SpanBatches {
  private readonly batchSize: number;
  private readonly delay: number;
  /** The current batch (`batchFor()` says whether a span may be written into it). */
  readonly writer: SpanBatchWriter;
  private readonly pending = new Map<
    number,
    {
      spans: number;
      memory: BatchMemory | undefined;
      /** A batch that went by message: until its reply, later batches go by message too. */
      posted: boolean;
      done: Answered;
    }
  >();
  private pendingSpans = 0;
  /** Batches posted as messages and not answered yet (`publish`). */
  private postedBatches = 0;
  /** Made with the thread. */
  private ring: BatchRing | undefined;
  /** Requests' spans to write at the end of this turn (`later`). */
  private readonly queued: LaterSpans[] = [];
  /** Arms `writeQueued` for the turn's end pass (core/once-a-turn.ts). */
  private readonly scheduleWrites = onceATurn(() => this.writeQueued());
  /**
   * Hands the batch over when its delay is up; made once, as a field: an arrow written inside
   * `written` made JSC allocate that method's scope (for the `this` it captures) on every call,
   * one cell a traced request, though the arrow itself is made only once a batch.
   */
  private readonly delayUp = () => this.handOver();
  /** An export's reply (made once, as `delayUp` is). */
  private readonly exported: Answered = (reply, spans) => {
    if (reply.ok) return this.options.onDelivered?.();
    // The thread may not have taken the batch's new strings (string-table.ts): resend all.
    this.writer.lost();
    this.options.onDropped(spans, reply.error ?? "the export failed");
  };
  private next = 0;
  /** The batches' shared memories the thread holds: their numbers', their strings'. */
  private readonly numberMemories = new PostedMemories();
  private readonly stringMemories = new PostedMemories();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private worker: ThreadWorker | null = null;
  private broken: string | null = null;
  private stopped = false;

  constructor(private readonly options: ThreadSpanProcessorOptions) {
    this.batchSize = Math.max(1, options.maxExportBatchSize ?? 512);
    this.delay = options.scheduledDelayMillis ?? 5000;
    this.writer = new SpanBatchWriter(this.batchSize);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    const writer = this.batchFor();
    if (writer === undefined) return;
    writer.add(span);
    this.written();
  }

  /**
   * The batch the next `spans` ended, sampled spans are written into (one by `onEnd`, or a
   * request's record of its spans straight from the gateway, batch-tracer.ts), then `written()`;
   * undefined when they must be dropped (counted) or the processor has shut down. A request's
   * spans go in one batch: a batch that could not take them all within its size goes first.
   */
  batchFor(spans = 1): SpanBatchWriter | undefined {
    if (this.stopped) return undefined;
    const reason =
      this.broken ??
      (this.pendingSpans + this.writer.count + spans > this.options.maxPendingSpans
        ? "the export queue is full"
        : null);
    if (reason !== null) {
      this.options.onDropped(spans, reason);
      return undefined;
    }
    if (this.writer.count > 0 && this.writer.count + spans > this.batchSize) this.handOver();
    return this.writer;
  }

  /**
   * Queues a request's spans to be written at the end of this turn of the event loop. At c=32
   * most requests end in a turn with 4 to 32 others (session 11, BENCHMARKS-HISTORY.md): their
   * records are then written one after the other, the writer's code hot after the first,
   * where each written as its request ended ran it cold between the gateway's other work. A
   * request's end is itself reported in the turn's end pass (http/request-ends.ts): the records
   * are written in that same pass, after the turn's reports, not in a pass of their own.
   */
  later(spans: LaterSpans): void {
    if (this.queued.push(spans) === 1) this.scheduleWrites();
  }

  /** Writes the records queued in this turn. */
  private writeQueued(): void {
    const queued = this.queued;
    try {
      // Writing a record queues nothing: the list is emptied in place, no array a turn.
      for (let i = 0; i < queued.length; i++) queued[i]?.write();
    } finally {
      queued.length = 0;
    }
  }

  /** After a span was written: the batch goes when full, or when its delay is up. */
  written(): void {
    if (this.writer.count >= this.batchSize) this.handOver();
    else if (this.timer === undefined) {
      this.timer = setTimeout(this.delayUp, this.delay);
      this.timer.unref?.();
    }
  }

  /** Hands the current batch to the thread: through the ring when it can go there, else posted. */
  private handOver(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writer.count === 0) return;
    const { numbers, strings, ...batch } = this.writer.take();
    const memory = { numbers, strings };
    try {
      if (this.publish(batch, memory)) return;
      const request = {
        op: "export" as const,
        ...batch,
        numbers: this.numberMemories.message(numbers),
        strings: this.stringMemories.message(strings),
      };
      this.send(request, batch.spans, memory, this.exported);
    } catch (error) {
      this.writer.lost();
      this.numberMemories.lost();
      this.stringMemories.lost();
      this.options.onDropped(batch.spans, messageOf(error));
    }
  }

  /**
   * Hands `batch` over through the ring when it names only what the thread holds (its
   * memories posted before, nothing new for its string table, resources or scopes) and every
   * batch posted before was answered, so the thread has taken all those name; false when it
   * must go by message (nothing is built for one before that is known). The thread takes the
   * ring's batches before any message that follows.
   */
  private publish(batch: Omit<SpanBatch, "numbers" | "strings">, memory: BatchMemory): boolean {
    const ring = this.ring;
    if (ring === undefined || this.broken !== null || this.postedBatches > 0 || !plainBatch(batch))
      return false;
    const numbersMemory = this.numberMemories.named(memory.numbers);
    const stringsMemory = this.stringMemories.named(memory.strings);
    if (numbersMemory === undefined || stringsMemory === undefined) return false;
    const id = this.next + 1;
    const published = ring.publish({
      id,
      spans: batch.spans,
      numbersMemory,
      numbersLength: memory.numbers.length,
      stringsMemory,
      stringsLength: memory.strings.length,
    });
    if (!published) return false;
    this.next = id;
    this.track(id, batch.spans, memory, false, this.exported);
    return true;
  }

  /** Resolves once every span ended so far has been sent (or has failed). */
  forceFlush(): Promise<void> {
    this.writeQueued();
    this.handOver();
    if (this.worker === null || this.broken) return Promise.resolve();
    return new Promise((resolve) => this.send({ op: "flush" }, 0, undefined, () => resolve()));
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.writeQueued();
    this.handOver();
    this.stopped = true;
    const worker = this.worker;
    if (worker === null) return;
    if (!this.broken)
      await new Promise<void>((resolve) => this.send({ op: "shutdown" }, 0, undefined, () => resolve()));
    worker.terminate();
    this.worker = null;
    this.ring = undefined;
  }

  /** `memory`: an export's, recycled into the writer once the thread is done with it. */
  private send(request: Request, spans: number, memory: BatchMemory | undefined, done: Answered): void {
    const worker = this.thread();
    const id = ++this.next;
    // The numbers and strings are in shared memory (span-batch-buffer.ts), posted once and named after (posted-memory.ts).
    worker.postMessage({ ...request, id });
    this.track(id, spans, memory, request.op === "export", done);
  }

  /** Waits for the thread's reply to request `id`, the thread held (ref'd) until it comes. */
  private track(
    id: number,
    spans: number,
    memory: BatchMemory | undefined,
    posted: boolean,
    done: Answered,
  ): void {
    this.pending.set(id, { spans, memory, posted, done });
    this.pendingSpans += spans;
    if (posted) this.postedBatches++;
    this.worker?.ref();
  }

  /** Started with the first batch; held (ref'd) only while a request to it is pending. */
  private thread(): ThreadWorker {
    if (this.worker !== null) return this.worker;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.options.env)) if (value !== undefined) env[name] = value;
    // tsconfig's DOM lib types Worker without Bun's ref/unref.
    const worker = new Worker(
      threadEntry(
        import.meta.url,
        new URL("./export-thread.ts", import.meta.url),
        "./telemetry/tracing/export-thread.ts",
      ),
      { env, name: "mindgw-export" },
    ) as ThreadWorker;
    worker.onmessage = (event: MessageEvent<ExportThreadReply>) => this.settle(event.data);
    worker.onerror = (event) => {
      this.broken = `the trace export thread failed: ${event.message}`;
      for (const id of [...this.pending.keys()]) this.settle({ id, ok: false, error: this.broken });
    };
    this.worker = worker;
    this.ring = new BatchRing(RING_SLOTS);
    this.send({ op: "ring", memory: this.ring.memory }, 0, undefined, () => {});
    return worker;
  }

  private settle(reply: ExportThreadReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    // The thread is done with the batch's memory: the writer may write into it again.
    if (waiter.memory) this.writer.recycle(waiter.memory);
    this.pendingSpans -= waiter.spans;
    if (waiter.posted) this.postedBatches--;
    if (this.pending.size === 0) this.worker?.unref();
    waiter.done(reply, waiter.spans);
  }
}

/** A batch with nothing for the thread to learn beside its spans: no new strings, resources or scopes. */
const plainBatch = (batch: Omit<SpanBatch, "numbers" | "strings">): boolean =>
  batch.resources.length === 0 && batch.scopes.length === 0 && tableUnchanged(batch.table);
