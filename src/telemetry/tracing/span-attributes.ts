import type { AuditRecord, FrontDoor } from "../../audit/audit-record.ts";
import { redactSecrets } from "../../audit/redact-body.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo } from "../dispatch-telemetry.ts";

/** `gen_ai.operation.name` per front door (OpenTelemetry GenAI semantic conventions). */
const OPERATIONS: Partial<Record<FrontDoor, string>> = {
  chat: "chat",
  responses: "chat",
  messages: "chat",
  completions: "text_completion",
  embeddings: "embeddings",
  count_tokens: "count_tokens",
};

export const operationOf = (frontDoor: FrontDoor): string | undefined => OPERATIONS[frontDoor];

/** GenAI spans are named `{operation} {model}`; other requests by their front door. */
export function spanName(frontDoor: FrontDoor, model: string | null): string {
  const operation = operationOf(frontDoor);
  return operation ? `${operation} ${model ?? "unknown"}` : `mindgw ${frontDoor}`;
}

/** Longest prompt or answer kept on a span when content capture is on. */
const MAX_CONTENT = 16 * 1024;

const content = (body: string | null | undefined) =>
  body == null
    ? undefined
    : redactSecrets(body.length > MAX_CONTENT ? body.slice(0, MAX_CONTENT) : body, "request");

/**
 * No request span carries more attributes than this (18 today: a server span with content).
 * Under a lower `OTEL_[SPAN_]ATTRIBUTE_COUNT_LIMIT` the SDK's own spans are used (start-tracing.ts).
 */
export const MOST_ATTRIBUTES = 32;

/**
 * What a span's attributes are set on: an OpenTelemetry span, or a span being written straight
 * into the export batch (span-batch.ts). One list per span, whichever it goes to.
 */
export interface AttributeTarget {
  setAttribute(key: string, value: string | number | boolean): unknown;
}

/** The server span's attributes known at a request's start. */
export function requestAttributes(to: AttributeTarget, ledger: RequestLedger): void {
  to.setAttribute("mindgw.request_id", ledger.requestId);
  to.setAttribute("mindgw.front_door", ledger.frontDoor);
  to.setAttribute("mindgw.stream", ledger.stream);
  const operation = operationOf(ledger.frontDoor);
  if (operation !== undefined) to.setAttribute("gen_ai.operation.name", operation);
  if (ledger.model != null) to.setAttribute("gen_ai.request.model", ledger.model);
}

/** What the finished request adds to its server span; prompt and answer only when opted in. */
export function finishedAttributes(to: AttributeTarget, record: AuditRecord, withContent: boolean): void {
  to.setAttribute("http.response.status_code", record.status);
  if (record.upstreamModel != null) to.setAttribute("gen_ai.response.model", record.upstreamModel);
  to.setAttribute("gen_ai.usage.input_tokens", record.inputTokens);
  to.setAttribute("gen_ai.usage.output_tokens", record.outputTokens);
  if (record.route != null) to.setAttribute("mindgw.route", record.route);
  if (record.keyName != null) to.setAttribute("mindgw.key.name", record.keyName);
  if (record.tenant != null) to.setAttribute("mindgw.tenant", record.tenant);
  if (record.ttfbMs != null) to.setAttribute("mindgw.ttft_ms", record.ttfbMs);
  to.setAttribute("mindgw.cost_usd", record.costUsd);
  if (record.errorClass != null) to.setAttribute("error.type", record.errorClass);
  if (!withContent) return;
  const input = content(record.requestBody);
  if (input !== undefined) to.setAttribute("gen_ai.input.messages", input);
  const output = content(record.responseBody);
  if (output !== undefined) to.setAttribute("gen_ai.output.messages", output);
}

/** An upstream attempt's client span; `route` is the worker that served it, once known. */
export function attemptAttributes(
  to: AttributeTarget,
  operation: string,
  info: AttemptInfo,
  route: string,
): void {
  to.setAttribute("gen_ai.operation.name", operation);
  to.setAttribute("gen_ai.provider.name", info.dialect);
  to.setAttribute("gen_ai.request.model", info.upstreamModel);
  to.setAttribute("mindgw.route", route);
  to.setAttribute("mindgw.attempt.retry", info.retry);
  to.setAttribute("mindgw.attempt.failover", info.failover);
}
