import type { LeanInit } from "../../providers/http/call-cancel.ts";
import { ConnectionPool } from "../../providers/http/http1/connection-pool.ts";
import { createLeanFetch, type FetchFunction } from "../../providers/http/http1/lean-fetch.ts";
import { RequestBytes } from "../../providers/http/http1/request-bytes.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";

/**
 * The request buffer the export client keeps: a 512-span batch encodes to ~200 KB, and a new
 * buffer a batch was fresh memory every ~50 ms (as encode-buffers.ts found for the encoder's).
 */
const EXPORT_REQUEST_BYTES = 512 * 1024;

/**
 * Bun's `fetch` straight to the endpoint, as the library's node:http request goes (it would
 * otherwise send it through `HTTP_PROXY`/`http_proxy`, loopback included), and, as that request,
 * never following a redirect: `OTEL_EXPORTER_OTLP_HEADERS` may carry the collector's credentials,
 * which a redirect would hand to wherever it leads (Bun drops only `Authorization`).
 */
export const directFetch: FetchFunction = (input, init) =>
  fetch(input, { ...init, proxy: false, redirect: "manual" });

/** What the OTLP transport (fetch-transport.ts) sends with. */
export interface ExportClient {
  /** A `fetch` that takes the call's cancel hook (the lean client's `LeanInit`), and hands a body whole with its head as bytes. */
  readonly answer: (url: string, init: LeanInit) => Promise<Response | WholeAnswer>;
  /** Closes its idle connections (the exporter's shutdown). */
  close(): void;
}

/**
 * The export thread's client: the gateway's lean HTTP/1.1 client (src/providers/http/http1/) on
 * kept-alive connections of its own, writing each request to its socket from the thread itself,
 * with `directFetch` for whatever it does not take (as for the gateway's own calls). Bun's
 * `fetch` cost the thread ~100 µs a batch and its HTTP client thread as much again, for the
 * same write (docs/BENCHMARKS-HISTORY.md, session 13). `headroom`: how many bytes in front of a
 * body its request's head may be written over (`EncodeBuffers.headroom`), so that the ~200 KB
 * body is sent where the encoder wrote it rather than copied after the head.
 */
export function exportClient(headroom?: (body: Uint8Array) => number): ExportClient {
  const pool = new ConnectionPool();
  const bytes = new RequestBytes(EXPORT_REQUEST_BYTES, headroom);
  // No proxy variable diverts it, nor a redirect: the library's transport goes straight to the
  // endpoint, and a 3xx is the export's failure (fetch-transport.ts).
  const fetch = createLeanFetch({ fallback: directFetch, env: {}, pool, bytes, followRedirects: false });
  return { answer: fetch.answer, close: () => pool.close() };
}
