import type { IExporterTransport } from "@opentelemetry/otlp-exporter-base";

/** Free buffers kept: one export is in flight at a time as a rule, a second while one retries. */
const MAX_FREE = 2;
/**
 * Bytes left free in front of each request written into a buffer given again, for its HTTP head
 * (~250 bytes; more with `OTEL_EXPORTER_OTLP_*HEADERS`): the lean client writes the head there
 * and sends head and body in one write, without copying the body (export-client.ts).
 */
export const HEAD_ROOM = 1024;

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

  /** A buffer to encode into, if one is free (after `HEAD_ROOM` bytes of its own). */
  take(): Uint8Array | undefined {
    return this.free.pop()?.subarray(HEAD_ROOM);
  }

  /**
   * How many bytes in front of `body` may be written over (the head of its request): all those of
   * its buffer for a request the encoder wrote (the rest of that buffer is the encoder's scratch
   * or `HEAD_ROOM`), none for any other (the library serialiser's output may share a slab).
   */
  headroom(body: Uint8Array): number {
    return this.lent.has(body.buffer) ? body.byteOffset : 0;
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
   * body is safe to write once `send` has settled: the lean client has written it to its socket
   * (or copied what the socket did not take) as often as it sent it, `fetch` has read it when
   * called, and the library's transports have finished with it.)
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
