import { toGatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import { abortable } from "../routing/abortable.ts";
import { adaptDialect } from "../routing/adapt-dialect.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { stripClientRouting } from "../routing/strip-client-routing.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { type Answer, AnswerStream, answerFromJson } from "./answer.ts";

/** What the shadow route did with its copy. */
export interface ShadowOutcome {
  /** 200, or the failure's status (504 when its own timeout cut it off). */
  status: number;
  errorClass: string | null;
  latencyMs: number;
  ttftMs: number | null;
  usage: Usage;
  /** Null when the call failed. */
  answer: Answer | null;
}

/**
 * Sends the copy to the shadow route in the request's own mode (a stream is consumed as a
 * stream, event by event) and reads the answer into the caller's dialect. Never throws: a
 * failure is an outcome. `signal` carries the shadow's own timeout, never the client's.
 */
export async function callShadow(
  route: Route,
  request: DispatchRequest,
  signal: AbortSignal,
): Promise<ShadowOutcome> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const meter = new StreamUsageMeter(route.provider.dialect);
  let ttftMs: number | null = null;
  try {
    const adapted = adaptDialect(
      request.operation,
      request.body,
      route.provider,
      request.model,
      request.responses,
    );
    const body = stripClientRouting({ ...adapted.body, model: route.upstreamModel });
    const reply = await abortable(
      route.provider.call({
        operation: adapted.operation,
        body,
        stream: request.stream,
        requestId: `${request.requestId}-shadow`,
        signal,
        timeouts: route.timeouts,
      }),
      signal,
    );
    if (reply.kind === "json") {
      const usageOf = route.provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
      const usage = reply.usage ?? usageOf(reply.body) ?? { inputTokens: 0, outputTokens: 0 };
      const answer = answerFromJson(request.operation, adapted.json(reply.body));
      return { status: 200, errorClass: null, latencyMs: elapsed(), ttftMs, usage, answer };
    }
    if (reply.kind === "http") {
      // Only a native call gets one, and the shadow never asks for it; read it as an error.
      await reply.response.body?.cancel();
      throw new Error(`unexpected pass-through reply (${reply.response.status})`);
    }
    const translated = adapted.stream?.(reply.events, (found) => meter.record(found));
    const reader = new AnswerStream(request.operation);
    const events = (translated ? translated.events : reply.events)[Symbol.asyncIterator]();
    try {
      // Each read races the shadow's own timeout, so an upstream that stalls mid-stream is cut off.
      for (
        let next = await abortable(events.next(), signal);
        !next.done;
        next = await abortable(events.next(), signal)
      ) {
        ttftMs ??= elapsed();
        if (!translated) meter.observe(next.value);
        reader.event(next.value.data);
      }
    } finally {
      if (signal.aborted) void events.return?.();
    }
    return {
      status: 200,
      errorClass: null,
      latencyMs: elapsed(),
      ttftMs,
      usage: meter.usage ?? { inputTokens: 0, outputTokens: 0 },
      answer: reader.answer(),
    };
  } catch (error) {
    const failure = toGatewayError(signal.aborted ? signal.reason : error);
    return {
      status: failure.status,
      errorClass: failure.code,
      latencyMs: elapsed(),
      ttftMs,
      usage: meter.usage ?? { inputTokens: 0, outputTokens: 0 },
      answer: null,
    };
  }
}
