import { type ExportResult, ExportResultCode } from "@opentelemetry/core";
import {
  BatchSpanProcessor,
  type BatchSpanProcessorOptions,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace";
import { type ExportThreadReply, type ExportThreadRequest, SpanDataEncoder } from "./span-data.ts";

/**
 * Where the thread's entry is: beside this file when running from source (`bun`, tests,
 * embedders); inside a compiled `mindgw`, at its path under `src/`, which scripts/build.ts
 * bundles as an entrypoint of its own (as it does the audit thread's).
 */
function threadEntry(): string {
  if (import.meta.url.includes("/$bunfs/")) return "./telemetry/tracing/export-thread.ts";
  return new URL("./export-thread.ts", import.meta.url).href;
}

type Request = ExportThreadRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, "id">
    : never
  : never;
type ThreadWorker = Worker & { ref(): void; unref(): void };

export interface ThreadSpanExporterOptions {
  /** The thread's `process.env`: where its exporter reads `OTEL_EXPORTER_OTLP_*`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Spans handed to the thread and not yet sent; a batch beyond this is dropped. */
  readonly maxPendingSpans: number;
  /** Told each time a batch is dropped (queue full, or the thread failed). */
  onDropped(spans: number, reason: string): void;
}

/**
 * The SpanExporter the batch span processor sees: it turns each batch into plain data (the
 * resource and scope only once) and hands it to the export thread, which runs the real OTLP
 * exporter. A batch counts as exported once handed over, so the processor's buffer drains at
 * once; the hand-over queue is bounded (`maxPendingSpans`) and what does not fit is dropped
 * and counted, as the processor drops what does not fit its own queue.
 */
export class ThreadSpanExporter implements SpanExporter {
  private readonly encoder = new SpanDataEncoder();
  private readonly pending = new Map<number, { spans: number; done: (reply: ExportThreadReply) => void }>();
  private pendingSpans = 0;
  private next = 0;
  private worker: ThreadWorker | null = null;
  private broken: string | null = null;
  private stopped = false;

  constructor(private readonly options: ThreadSpanExporterOptions) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const reason = this.refusal(spans.length) ?? this.handOver(spans);
    if (reason === undefined) {
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    this.options.onDropped(spans.length, reason);
    resultCallback({ code: ExportResultCode.FAILED, error: new Error(reason) });
  }

  private refusal(spans: number): string | undefined {
    if (this.stopped) return "the exporter is shut down";
    if (this.broken) return this.broken;
    if (this.pendingSpans + spans > this.options.maxPendingSpans) return "the export queue is full";
    return undefined;
  }

  /** Posts the batch to the thread; why not, when it could not be. */
  private handOver(spans: ReadableSpan[]): string | undefined {
    try {
      this.send({ op: "export", ...this.encoder.encode(spans) }, spans.length, (reply) => {
        if (!reply.ok) this.options.onDropped(spans.length, reply.error ?? "the export failed");
      });
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  /** Resolves once every batch handed over so far has been sent (or has failed). */
  forceFlush(): Promise<void> {
    if (this.worker === null || this.broken) return Promise.resolve();
    return new Promise((resolve) => this.send({ op: "flush" }, 0, () => resolve()));
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const worker = this.worker;
    if (worker === null) return;
    if (!this.broken) await new Promise<void>((resolve) => this.send({ op: "shutdown" }, 0, () => resolve()));
    worker.terminate();
    this.worker = null;
  }

  private send(request: Request, spans: number, done: (reply: ExportThreadReply) => void): void {
    const worker = this.thread();
    const id = ++this.next;
    // As one JSON string: Bun's structured clone of a batch's objects costs the event loop
    // several times what JSON.stringify does (measured on 512-span batches).
    worker.postMessage(JSON.stringify({ ...request, id }));
    this.pending.set(id, { spans, done });
    this.pendingSpans += spans;
    worker.ref();
  }

  /** Started with the first batch; held (ref'd) only while a request to it is pending. */
  private thread(): ThreadWorker {
    if (this.worker !== null) return this.worker;
    // tsconfig's DOM lib types Worker without Bun's ref/unref.
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.options.env)) if (value !== undefined) env[name] = value;
    const worker = new Worker(threadEntry(), { env }) as ThreadWorker;
    worker.onmessage = (event: MessageEvent<ExportThreadReply>) => this.settle(event.data);
    worker.onerror = (event) => {
      this.broken = `the trace export thread failed: ${event.message}`;
      for (const id of [...this.pending.keys()]) this.settle({ id, ok: false, error: this.broken });
    };
    this.worker = worker;
    return worker;
  }

  private settle(reply: ExportThreadReply): void {
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    this.pendingSpans -= waiter.spans;
    if (this.pending.size === 0) this.worker?.unref();
    waiter.done(reply);
  }
}

/**
 * The SDK's batch span processor over a ThreadSpanExporter. Its `forceFlush` also waits for the
 * thread: the exporter counts a batch done once handed over, so the processor's own flush
 * would return before the spans had left.
 */
export class ThreadedBatchSpanProcessor extends BatchSpanProcessor {
  private readonly threadExporter: ThreadSpanExporter;

  constructor(options: Omit<BatchSpanProcessorOptions, "exporter"> & { exporter: ThreadSpanExporter }) {
    super(options);
    this.threadExporter = options.exporter;
  }

  override async forceFlush(): Promise<void> {
    await super.forceFlush();
    await this.threadExporter.forceFlush();
  }
}
