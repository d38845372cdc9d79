import { STATUS_CODES } from "node:http";
import { gzipSync } from "node:zlib";
import type { ExportResponse, IExporterTransport } from "@opentelemetry/otlp-exporter-base";
import { OTLPExporterError } from "@opentelemetry/otlp-exporter-base";
import { monotonicClock } from "../../core/steady-clock.ts";
import { CallCancel } from "../../providers/http/call-cancel.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";
import { type ExportClient, exportClient } from "./export-client.ts";

/** What the library's node transport is configured with (`convertLegacyHttpOptions`, from `OTEL_EXPORTER_OTLP_*`). */
export interface FetchTransportOptions {
  readonly url: string;
  readonly headers: () => Promise<Record<string, string>>;
  readonly compression: "gzip" | "none";
}

/**
 * The library's User-Agent (http-transport-utils.ts; its version is not exported, and
 * fetch-transport.test.ts holds this equal to the installed package's).
 */
export const USER_AGENT = "OTel-OTLP-Exporter-JavaScript/0.301.0";
/** The library's cap on a response body it reads. */
const MAX_RESPONSE_BODY_SIZE = 4 * 1024 * 1024;
/** Statuses and network errors the library retries (is-export-retryable.ts, http-transport-utils.ts). */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);

/** The library's `parseRetryAfterToMills`: seconds, or an HTTP date. */
export function retryAfterMillis(retryAfter: string | null): number | undefined {
  if (retryAfter === null) return undefined;
  const seconds = Number.parseInt(retryAfter, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1;
  const delay = new Date(retryAfter).getTime() - Date.now();
  return Math.max(delay, 0);
}

/**
 * The collector's answer as the library judges it (its node transport's `end` handler), from a
 * `Response` or, as the lean client hands a body whole with its head, its status and bytes.
 */
function verdict(reply: Response | WholeAnswer, answer: Uint8Array): ExportResponse {
  if (answer.byteLength > MAX_RESPONSE_BODY_SIZE)
    return {
      status: "failure",
      error: new Error(`OTLP export response body exceeded size limit of ${MAX_RESPONSE_BODY_SIZE} bytes`),
    };
  const { status } = reply;
  if (status <= 299) return { status: "success", data: answer };
  // An answer whole with its head comes without its status line's text (the lean client reads
  // none for it): the standard reason phrase, which is what collectors send.
  const statusText = reply instanceof Response ? reply.statusText : (STATUS_CODES[status] ?? "");
  const error = new OTLPExporterError(statusText, status, new TextDecoder().decode(answer));
  if (RETRYABLE_STATUSES.has(status)) {
    const retryAfter =
      reply instanceof Response ? reply.headers.get("retry-after") : (reply.retryAfter ?? null);
    const retryInMillis = retryAfterMillis(retryAfter);
    // With its status, which the library's leaves out: once the retries are spent, the export
    // fails with this error, and `spans dropped` names the status ("HTTP 503 Service
    // Unavailable"), not "Export failed with retryable status".
    return retryInMillis === undefined
      ? { status: "retryable", error }
      : { status: "retryable", retryInMillis, error };
  }
  return { status: "failure", error };
}

const timedOut = () => new DOMException("The operation timed out.", "TimeoutError");

/**
 * One OTLP/HTTP POST as the library's node transport (`sendWithHttp`) makes it — same URL,
 * headers, User-Agent, gzip when `compression` says so, timeout, and the same verdicts on the
 * answer (2xx success with its body, 429/502/503/504 retryable with `Retry-After` — and, ours
 * alone, the status, for the export that fails after the retries to name —, any other
 * status a failure carrying it, refused/reset connections and the timeout retryable) — over the
 * lean client (`exportClient`) instead of `node:http`. Under Bun, `node:http`'s client is a
 * compatibility layer (a `ClientRequest` and a `Readable` piped into it per export) that cost the
 * export thread ~4 µs of every traced request in `bun bench/trace-micro.ts`
 * (docs/BENCHMARKS-HISTORY.md, fifth pass), and Bun's `fetch` still ~100 µs of the thread's CPU a
 * batch and its HTTP client thread beside (session 12); the lean client writes the request to a
 * kept-alive socket from the thread itself, and hands an answer whole with its head (a
 * collector's, as a rule) as bytes, without a `Response`. The library lets a transport be supplied
 * (`createOtlpNetworkExportDelegate`), so only this layer is ours. Plain `http:` endpoints
 * only: an `https:` one keeps the library's transport, whose agent carries the
 * `OTEL_EXPORTER_OTLP_*CERTIFICATE`/`CLIENT_*` files.
 */
export function createFetchTransport(
  options: FetchTransportOptions,
  client: ExportClient = exportClient(),
): IExporterTransport {
  const gzip = options.compression === "gzip";
  // The request's headers, once they are known: made from the environment when the exporter was
  // configured (OTEL_EXPORTER_OTLP_*HEADERS and the required Content-Type), so the same for every
  // export; the library's three nested async functions and a new object each export ran cold once
  // a batch (~25 µs of the export thread's CPU a batch, in place).
  let fixed: Record<string, string> | undefined;
  const headersOf = async () => {
    fixed ??= {
      ...(await options.headers()),
      "User-Agent": USER_AGENT,
      ...(gzip ? { "Content-Encoding": "gzip" } : {}),
    };
    return fixed;
  };
  return {
    async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
      const headers = fixed ?? (await headersOf());
      const body = gzip ? gzipSync(data) : data;
      // The timeout cuts the call wherever it is (connecting, sending, reading the answer).
      const cancel = new CallCancel();
      const timer = setTimeout(() => cancel.cancel(timedOut()), timeoutMillis);
      let reply: Response | WholeAnswer;
      let answer: Uint8Array;
      try {
        reply = await client.answer(options.url, {
          method: "POST",
          headers,
          body: body as Uint8Array<ArrayBuffer>,
          cancel,
        });
        answer = reply instanceof Response ? new Uint8Array(await reply.arrayBuffer()) : reply.body;
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (failure.name === "TimeoutError")
          return { status: "retryable", error: new Error("Request timed out", { cause: failure }) };
        const code = (failure as { code?: unknown }).code;
        return typeof code === "string" && RETRYABLE_NETWORK_ERRORS.has(code)
          ? { status: "retryable", error: failure }
          : { status: "failure", error: failure };
      } finally {
        clearTimeout(timer);
      }
      return verdict(reply, answer);
    },
    shutdown: () => client.close(),
  };
}

/** The library's RetryingTransport (retrying-transport.ts): its constants and its rules. */
const MAX_ATTEMPTS = 5;
const INITIAL_BACKOFF = 1000;
const MAX_BACKOFF = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

/**
 * Retries a retryable answer as the library's `createRetryingTransport` does (not exported by
 * `@opentelemetry/otlp-exporter-base` 0.301): up to 5 more attempts, backoff from 1 s ×1.5 up to
 * 5 s with ±20 % jitter unless the collector's `Retry-After` says otherwise, never past the
 * export's timeout. That timeout is counted on the monotonic clock where the library reads the wall
 * one: a step back would stretch it by the step (an export retried for minutes), one forward end it.
 */
export function createRetryingTransport(
  transport: IExporterTransport,
  sleep: (ms: number) => Promise<void> = (ms) =>
    new Promise((resolve) => setTimeout(resolve, Math.max(ms, 0))),
): IExporterTransport {
  return {
    async send(data, timeoutMillis) {
      let attempts = MAX_ATTEMPTS;
      let nextBackoff = INITIAL_BACKOFF;
      const deadline = monotonicClock() + timeoutMillis;
      let result = await transport.send(data, timeoutMillis);
      while (result.status === "retryable" && attempts > 0) {
        attempts--;
        const jitter = Math.random() * (2 * JITTER) - JITTER;
        const backoff = Math.max(Math.min(nextBackoff * (1 + jitter), MAX_BACKOFF), 0);
        nextBackoff *= BACKOFF_MULTIPLIER;
        const retryInMillis = result.retryInMillis ?? backoff;
        const remaining = deadline - monotonicClock();
        if (retryInMillis > remaining) return result;
        await sleep(retryInMillis);
        result = await transport.send(data, remaining);
      }
      return result;
    },
    shutdown: () => transport.shutdown(),
  };
}
