import type { IExporterTransport } from "@opentelemetry/otlp-exporter-base";

/** Free buffers kept: one export is in flight at a time as a rule, a second while one retries. */
const MAX_FREE = 2;

/**
 * The export thread's output buffers for otlp-proto-batch.ts, each written again once the export
 * that carried it is over. A batch's request is ~200 KB (512 spans); a new buffer per export was
 * fresh memory every ~50 ms (page faults, and the allocator's scavenger thread giving it back).
 * Only buffers the encoder wrote (`encoded`) come back: the library serialiser's output may be a
 * view of a slab it still uses.
 */
export class EncodeBuffers {
  private readonly free: Uint8Array[] = [];
  /** Buffers of requests encoded and not yet over. */
  private readonly lent = new Set<ArrayBufferLike>();

  /** A buffer to encode into, if one is free. */
  take(): Uint8Array | undefined {
    return this.free.pop();
  }

  /** `bytes` were written by the encoder (into a buffer `take` gave, or a new one): lent until `give`. */
  encoded(bytes: Uint8Array): Uint8Array {
    this.lent.add(bytes.buffer);
    return bytes;
  }

  /** The export of `bytes` is over (sent, failed, retries done): its buffer may be written again. */
  give(bytes: Uint8Array): void {
    if (!this.lent.delete(bytes.buffer)) return;
    if (this.free.length < MAX_FREE) this.free.push(new Uint8Array(bytes.buffer));
  }

  /**
   * `transport`, giving each request's buffer back when its send is over, retries included. (The
   * body is safe to write once `send` has settled: the lean client has copied it into its request
   * buffer (as often as it sent it) and `fetch` when called, and the library's transports have
   * finished with it.)
   */
  releasing(transport: IExporterTransport): IExporterTransport {
    return {
      send: async (data, timeoutMillis) => {
        try {
          return await transport.send(data, timeoutMillis);
        } finally {
          this.give(data);
        }
      },
      shutdown: () => transport.shutdown(),
    };
  }
}
