import { type Dialect, isJsonObject, type Operation } from "../core/dialect.ts";
import { type ErrorCode, GatewayError, unavailable, upstreamError } from "../core/gateway-error.ts";
import { holdsNoAnswer } from "../core/holds-no-answer.ts";
import type { Usage } from "../core/usage.ts";
import {
  DEFAULT_MAX_UPSTREAM_BODY,
  readBounded,
  readErrorText,
  tooLarge,
} from "../providers/http/read-bounded.ts";
import { noAnswer, notJson, notJsonObject } from "../providers/http/read-reply.ts";
import { errorInAnswer, upstreamFailure } from "../providers/http/upstream-failure.ts";
import { upstreamName } from "../providers/upstream-name.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { type Answer, answerFromJson } from "./answer.ts";
import { ScannedStreamEnd } from "./copy-stream-end.ts";
import { SseAnswerReader } from "./sse-answer-reader.ts";

/** What the shadow route did with its copy. */
export interface ShadowOutcome {
  /** 200, or the failure's status (504 when its own timeout cut it off). */
  status: number;
  /** The failure's code; null when answered. */
  errorClass: ErrorCode | null;
  latencyMs: number;
  ttftMs: number | null;
  usage: Usage;
  /** Null when the call failed. */
  answer: Answer | null;
  /**
   * The upstream that took the copy when its route chose one (`worker:<name>`): the pair's shadow
   * route. Absent: the route's own upstream (its label stands).
   */
  servedBy?: string;
  /**
   * The copy was never sent: its route cannot carry the request as asked, and this is the
   * translation's refusal (shadow-call.ts). Counted as skipped, never recorded as a pair.
   */
  notCarried?: GatewayError;
}

/** What reading a copy's answer needs to know: plain data, so the shadow thread has it too. */
export interface CopyTarget {
  /** The route's label (`provider:twin`); errors name its upstream through `upstreamName` (`upstream twin`). */
  readonly label: string;
  readonly dialect: Dialect;
  readonly operation: Operation;
  readonly stream: boolean;
}

/** A clock started when the copy was sent; `ttftMs` is set by the first bytes of a stream. */
export interface CopyClock {
  readonly started: number;
  ttftMs: number | null;
}

/** Bun's reader: `readMany` resolves with every chunk already buffered, in one step. */
type ManyReader = ReadableStreamDefaultReader<Uint8Array> & {
  readMany(): Promise<{ done: boolean; value: Uint8Array[] }>;
};

export const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0 };

/** A copy that answered, timed from when it was sent; no usage read counts as none. */
export function answered(clock: CopyClock, usage: Usage | undefined, answer: Answer | null): ShadowOutcome {
  return {
    status: 200,
    errorClass: null,
    latencyMs: performance.now() - clock.started,
    ttftMs: clock.ttftMs,
    usage: usage ?? NO_USAGE,
    answer,
  };
}

/**
 * A copy that failed or was cut off (without a clock: never sent), recorded with its failure: the
 * shadow upstream's own status when it answered with an error (its 500, not the 502 the gateway
 * would answer a client with), as an attempt's audit entry keeps it (audit/attempt-log.ts).
 */
export function failed(failure: GatewayError, clock?: CopyClock): ShadowOutcome {
  return {
    status: failure.upstream?.status ?? failure.status,
    errorClass: failure.code,
    latencyMs: clock ? performance.now() - clock.started : 0,
    ttftMs: clock ? clock.ttftMs : null,
    usage: NO_USAGE,
    answer: null,
  };
}

/** How a copy ended, for its span and its count: its status and failure's code (its outcome's, or the thread's word). */
export type CopyEnd = Pick<ShadowOutcome, "status" | "errorClass">;

/**
 * The failure a copy's span is closed and counted with: none when it answered. Without `ended`
 * the copy was lost with the shadow thread (answered as failed, 503, and not recorded).
 */
export function copyFailure(ended: CopyEnd | undefined): GatewayError | undefined {
  if (!ended) return unavailable("the shadow thread failed");
  const code = ended.errorClass;
  if (code === null) return undefined;
  return new GatewayError({
    status: ended.status,
    code,
    message: `the shadow copy failed with ${ended.status}`,
  });
}

const decoder = new TextDecoder();

/**
 * A same-dialect answer as bytes: an error status is read as the primary would read it; a
 * whole body is parsed once; a stream's chunks are decoded as they come and its events parsed
 * in large slices (see SseAnswerReader). Aborting `signal` ends the fetch and so any read.
 * Throws what the primary would (a GatewayError); the caller makes it an outcome. `maxBody`, the
 * most a whole answer may be, bounds a whole body's bytes and a stream's answer held, in
 * characters (`heldWithin`): past it the copy fails as a whole answer past it does.
 */
export async function readCopy(
  response: Response,
  target: CopyTarget,
  signal: AbortSignal,
  clock: CopyClock,
  maxBody = DEFAULT_MAX_UPSTREAM_BODY,
): Promise<ShadowOutcome> {
  const label = target.label;
  if (!response.ok) {
    const text = await readErrorText(response, label);
    throw upstreamFailure(label, { status: response.status, headers: response.headers, text });
  }
  const isStream =
    target.stream &&
    response.body !== null &&
    response.headers.get("content-type")?.includes("text/event-stream");
  if (!isStream) {
    // A declared length within the bound is read in one native call (no stream of chunks).
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    let text: string;
    try {
      text =
        declared <= maxBody
          ? await response.text()
          : decoder.decode(await readBounded(response, maxBody, label, "refuse"));
    } catch (error) {
      throw cutShort(label, error, signal, "body");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw notJson(label);
    }
    if (!isJsonObject(parsed)) throw notJsonObject(label);
    const failed = errorInAnswer(label, parsed);
    if (failed) throw failed;
    // A 200 with no answer in it ({"choices": []}) fails the copy as it fails the primary (native-reply.ts).
    if (holdsNoAnswer(target.operation, parsed)) throw noAnswer(label);
    const usageOf = target.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
    return answered(clock, usageOf(parsed), answerFromJson(target.operation, parsed));
  }
  // Chunks are taken as many at a time as have arrived (Bun's `readMany`), not one promise per
  // chunk; the text is parsed in large slices (SseAnswerReader), so what is held stays near the
  // answer's own size however long the stream runs.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader() as ManyReader;
  const answer = new SseAnswerReader(target.operation, target.dialect);
  // Whether the stream was whole is read off its bytes by the primary's own scan.
  const end = new ScannedStreamEnd(label);
  const text = new TextDecoder();
  try {
    for (let next = await reader.readMany(); !next.done; next = await reader.readMany()) {
      if (next.value.length === 0) continue;
      clock.ttftMs ??= performance.now() - clock.started;
      for (const chunk of next.value) {
        end.take(chunk);
        answer.push(text.decode(chunk, { stream: true }));
      }
      heldWithin(answer.held, label, maxBody);
    }
  } catch (error) {
    // Aborted, cut, or failed by the scan (a malformed event): nothing more is read.
    void reader.cancel().catch(() => {});
    throw cutShort(label, error, signal, "stream");
  }
  // A stream cut short (502) or ending in an error event (the status it stands for) fails as the primary's does.
  const failure = end.failure();
  if (failure) throw failure;
  const read = answer.finish();
  return answered(clock, read.usage, read.answer);
}

/**
 * A stream's answer held past `max` (`routing.max_upstream_body`'s default, the most a whole answer
 * may be) fails the copy as a whole answer past it does (502 `upstream_error`), as a stream
 * translated for a Responses caller ends past it: however long the upstream streams, no more of
 * its answer is held.
 */
export function heldWithin(held: number, label: string, max: number): void {
  if (held > max) throw tooLarge(label, max);
}

/**
 * A read that failed under the copy: the upstream dropping the connection is its failure (502
 * `upstream_error`, as on the client's path, upstream-events.ts), never the gateway's own 500. A
 * copy cut by its own signal, or a failure already classed, stays as it is.
 */
function cutShort(label: string, error: unknown, signal: AbortSignal, part: "body" | "stream"): unknown {
  if (signal.aborted || error instanceof GatewayError) return error;
  return upstreamError(`${upstreamName(label)} closed the connection mid-${part}`);
}
