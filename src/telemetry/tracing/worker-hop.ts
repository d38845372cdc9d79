import { type Span, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { parentContext, passedOn, traceHeaders } from "./trace-context.ts";

/** What the worker knows of a tunnelled request when it starts it. */
export interface HopRequest {
  readonly requestId: string;
  readonly path: string;
  /** `GET`, `DELETE`: a stored response's read or removal (absent: `POST`, a model call). */
  readonly method?: string | undefined;
  readonly body: Readonly<Record<string, unknown>>;
  readonly traceparent?: string | undefined;
  /** The `tracestate` beside it. */
  readonly tracestate?: string | undefined;
}

/** The frames of the worker's answer that say how it went. */
type AnswerFrame = { type: string; status?: number; code?: string };

/**
 * Why a call ended before its answer did: `cancelled`, the gateway called it off (its client left,
 * a bound ran out); `worker_stopped`, the worker's own end cut it (its connection lost, a drain's
 * deadline, a forced stop).
 */
export type HopCut = "cancelled" | "worker_stopped";

/** Observes one tunnelled request on the worker: its span, and the headers for the upstream. */
export interface WorkerHop {
  /** `traceparent` and `tracestate` for the model server: this hop's span's, or the gateway's passed on. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** Sees each frame sent back for the request (its head's status, an error's code). */
  observe(frame: AnswerFrame): void;
  /** `cut`: the call was cut before its answer ended, and by whom; undefined when it ran its course. */
  end(cut?: HopCut): void;
}

/** As the gateway's attempt span names the call (span-attributes.ts): a compaction is a Responses call. */
const OPERATIONS: Record<string, string> = {
  "/chat/completions": "chat",
  "/completions": "text_completion",
  "/embeddings": "embeddings",
  "/responses": "chat",
  "/responses/compact": "chat",
};

const ignore = () => {};

/** Untraced, with no context to pass on: one for every such call (no objects a call). */
const NO_HOP: WorkerHop = { headers: undefined, observe: ignore, end: ignore };

/**
 * The worker side of the tunnel hop: a server span continuing the gateway's attempt span (its
 * context travels in the request frame's `traceparent` and `tracestate`), whose own context goes
 * on to the model server. Without a tracer the gateway's context is passed on unchanged, and so it
 * is for a stored response's read or removal: no model call, and the gateway's call to it opens no
 * client span either (docs/OBSERVABILITY.md: its context goes on unchanged to where it is held).
 */
export function workerHop(tracer: Tracer | undefined, request: HopRequest, worker: string): WorkerHop {
  if (!tracer || request.method !== undefined) {
    const headers = passedOn(request.traceparent, request.tracestate);
    return headers ? { headers, observe: ignore, end: ignore } : NO_HOP;
  }
  const operation = OPERATIONS[request.path] ?? request.path;
  const model = typeof request.body.model === "string" ? request.body.model : "unknown";
  const span: Span = tracer.startSpan(
    `${operation} ${model}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "gen_ai.operation.name": operation,
        "gen_ai.request.model": model,
        "mindgw.request_id": request.requestId,
        "mindgw.worker.name": worker,
        "url.path": request.path,
      },
    },
    parentContext(request.traceparent, request.tracestate),
  );
  let failed = false;
  const fail = (type: string) => {
    failed = true;
    span.setAttribute("error.type", type);
    span.setStatus({ code: SpanStatusCode.ERROR });
  };
  return {
    headers: traceHeaders(span, request.traceparent, request.tracestate),
    observe(frame) {
      if (frame.type === "head" && frame.status !== undefined) {
        span.setAttribute("http.response.status_code", frame.status);
        // As the HTTP conventions have it for a server span: a 5xx is an error, its type the status.
        if (frame.status >= 500) fail(String(frame.status));
      } else if (frame.type === "error") fail(frame.code ?? "error");
    },
    end(cut) {
      // Called off by the gateway, it never ended as its status says: marked, though no error of
      // the worker's (its status stays unset, as the gateway's own span of a 499 does). Cut by the
      // worker's own end, it is the worker's failure: the gateway's caller gets `worker_lost`.
      if (cut === "cancelled" && !failed) span.setAttribute("error.type", "cancelled");
      else if (cut === "worker_stopped" && !failed) fail("worker_stopped");
      span.end();
    },
  };
}
