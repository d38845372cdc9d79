import type { AuditRecord, FrontDoor } from "../../audit/audit-record.ts";
import { redactSecrets } from "../../audit/redact-body.ts";

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

/** What the finished request adds to its server span; prompt and answer only when opted in. */
export function finishedAttributes(record: AuditRecord, withContent: boolean) {
  return {
    "http.response.status_code": record.status,
    "gen_ai.response.model": record.upstreamModel ?? undefined,
    "gen_ai.usage.input_tokens": record.inputTokens,
    "gen_ai.usage.output_tokens": record.outputTokens,
    "mindgw.route": record.route ?? undefined,
    "mindgw.key.name": record.keyName ?? undefined,
    "mindgw.tenant": record.tenant ?? undefined,
    "mindgw.ttft_ms": record.ttfbMs ?? undefined,
    "mindgw.cost_usd": record.costUsd,
    "error.type": record.errorClass ?? undefined,
    ...(withContent
      ? {
          "gen_ai.input.messages": content(record.requestBody),
          "gen_ai.output.messages": content(record.responseBody),
        }
      : {}),
  };
}
