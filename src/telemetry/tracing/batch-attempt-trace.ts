import type { SamplingResult } from "@opentelemetry/api";
import type { AttemptInfo } from "../dispatch-telemetry.ts";
import { BatchAttemptSpan } from "./batch-attempt-span.ts";
import type { BatchRequestTrace } from "./batch-request-trace.ts";

/**
 * An upstream attempt of a BatchRequestTrace after its first (whose handle is the request's trace
 * itself), or a shadow copy's: a BatchAttemptSpan object of its own (batch-attempt-span.ts).
 */
export class BatchAttemptTrace extends BatchAttemptSpan {
  constructor(
    protected readonly request: BatchRequestTrace,
    operation: string,
    /** The span id's words. */
    s0: number,
    s1: number,
    info: AttemptInfo,
    sampling: SamplingResult,
    tracestate: string | undefined,
    started: number,
    shadow: boolean,
  ) {
    super(request.t0, request.t1, request.t2, request.t3);
    this.open(operation, s0, s1, info, sampling, tracestate, started, shadow);
  }
}
