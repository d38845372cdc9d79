import type { AuditRecord, FrontDoor } from "../../audit/audit-record.ts";
import { callerLabel } from "../../audit/caller-label.ts";
import type { RedactBody } from "../../audit/redact-body.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo } from "../dispatch-telemetry.ts";
import { spanContent } from "../genai/span-content.ts";
import type { GroupWriter } from "./attribute-groups.ts";
import { joinedName } from "./joined-name.ts";

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

/**
 * GenAI spans are named `{operation} {model}`, or `{operation}` alone for a request refused before
 * its model was read (the GenAI conventions' name when no model is known); other requests by their
 * front door.
 */
export function spanName(frontDoor: FrontDoor, model: string | null): string {
  return joinedName(spanNameFirst(frontDoor), spanNameSecond(frontDoor, model));
}

/** A server span name's two words (`spanName` joins them); the second is empty when there is none. */
export const spanNameFirst = (frontDoor: FrontDoor): string => operationOf(frontDoor) ?? "mindgw";
export const spanNameSecond = (frontDoor: FrontDoor, model: string | null): string =>
  operationOf(frontDoor) ? (model ?? "") : frontDoor;

/**
 * No request span carries more attributes than this (19 today: a server span with content).
 * Under a lower `OTEL_[SPAN_]ATTRIBUTE_COUNT_LIMIT` the SDK's own spans are used (start-tracing.ts).
 */
export const MOST_ATTRIBUTES = 32;

/**
 * An attribute key of the request spans. Every key is in `ATTRIBUTE_KEYS` at `index`, and a span
 * written straight into the export batch names it by that position (its string table starts
 * with the list, string-table.ts), so a request's ~20 keys cost no lookup.
 */
export interface AttributeKey {
  readonly name: string;
  readonly index: number;
}

const keys: string[] = [];
/** The request spans' attribute keys, in `AttributeKey.index` order. */
export const ATTRIBUTE_KEYS: readonly string[] = keys;
const key = (name: string): AttributeKey => ({ name, index: keys.push(name) - 1 });

export const Key = {
  requestId: key("mindgw.request_id"),
  frontDoor: key("mindgw.front_door"),
  stream: key("mindgw.stream"),
  operation: key("gen_ai.operation.name"),
  requestModel: key("gen_ai.request.model"),
  statusCode: key("http.response.status_code"),
  responseModel: key("gen_ai.response.model"),
  inputTokens: key("gen_ai.usage.input_tokens"),
  outputTokens: key("gen_ai.usage.output_tokens"),
  route: key("mindgw.route"),
  keyName: key("mindgw.key.name"),
  tenant: key("mindgw.tenant"),
  ttft: key("mindgw.ttft_ms"),
  cost: key("mindgw.cost_usd"),
  errorType: key("error.type"),
  inputMessages: key("gen_ai.input.messages"),
  outputMessages: key("gen_ai.output.messages"),
  systemInstructions: key("gen_ai.system_instructions"),
  provider: key("gen_ai.provider.name"),
  retry: key("mindgw.attempt.retry"),
  failover: key("mindgw.attempt.failover"),
  shadow: key("mindgw.shadow"),
} as const;

/**
 * What a span's attributes are set on: an OpenTelemetry span (`spanTarget`), or a span being
 * written straight into the export batch (span-batch.ts). One list per span, whichever it goes to.
 */
export interface AttributeTarget {
  text(key: AttributeKey, value: string): void;
  number(key: AttributeKey, value: number): void;
  flag(key: AttributeKey, value: boolean): void;
  /**
   * The attributes `write` writes from `a`, `b`, `c`, a run that repeats from request to request
   * (`kind`: which, `Run`). A span in the export batch writes them as one group when a recent
   * span's run was made from the same three (attribute-groups.ts); an SDK span, one by one.
   */
  grouped<A, B, C>(kind: number, write: GroupWriter<AttributeTarget, A, B, C>, a: A, b: B, c: C): void;
}

/** The runs of attributes `grouped` is told of: the same for every request of a route, model or key. */
export const Run = { requestKind: 0, attempt: 1, routeAndKey: 2 } as const;
export const RUNS = 3;

/** An OpenTelemetry span as an attribute target. */
export function spanTarget(span: {
  setAttribute(key: string, value: string | number | boolean): unknown;
}): AttributeTarget {
  const set = (key: AttributeKey, value: string | number | boolean) => {
    span.setAttribute(key.name, value);
  };
  const target: AttributeTarget = {
    text: set,
    number: set,
    flag: set,
    grouped: (_kind, write, a, b, c) => write(target, a, b, c),
  };
  return target;
}

/** The server span's attributes known at a request's start. */
export function requestAttributes(to: AttributeTarget, ledger: RequestLedger): void {
  to.text(Key.requestId, ledger.requestId);
  requestKindOf(to, ledger);
}

/** `requestAttributes` after the request id (a span that writes its id otherwise: batch-request-trace.ts). */
export function requestKindOf(to: AttributeTarget, ledger: RequestLedger): void {
  to.grouped(Run.requestKind, requestKindAttributes, ledger.model, ledger.frontDoor, ledger.stream);
}

/** `requestAttributes` after the request id: the same for every request of a model and kind. */
function requestKindAttributes(
  to: AttributeTarget,
  model: string | null,
  frontDoor: FrontDoor,
  stream: boolean,
): void {
  to.text(Key.frontDoor, frontDoor);
  to.flag(Key.stream, stream);
  const operation = operationOf(frontDoor);
  if (operation !== undefined) to.text(Key.operation, operation);
  if (model != null) to.text(Key.requestModel, model);
}

/**
 * What the finished request adds to its server span; instructions, prompt and answer only when
 * opted in (read from the captured bodies here, at the span's end: nothing on the request's way).
 */
export function finishedAttributes(
  to: AttributeTarget,
  record: AuditRecord,
  /** Content capture: the redaction prompts and answers go through; undefined when off. */
  content: RedactBody | undefined,
  /**
   * The model the upstream says answered (`RequestLedger.answeredModel`), else, for an answer, the
   * one it was asked; a request that failed with no answer names none (nothing generated it).
   */
  answered: string | undefined,
): void {
  to.number(Key.statusCode, record.status);
  const responseModel = answered ?? (record.status < 400 ? record.upstreamModel : null);
  if (responseModel != null) to.text(Key.responseModel, responseModel);
  to.number(Key.inputTokens, record.inputTokens);
  if (record.frontDoor !== "embeddings") to.number(Key.outputTokens, record.outputTokens);
  const caller = callerLabel(record.keyId, record.keyName);
  to.grouped(Run.routeAndKey, routeAndKeyAttributes, record.route, caller, record.tenant);
  if (record.ttfbMs != null) to.number(Key.ttft, record.ttfbMs);
  to.number(Key.cost, record.costUsd);
  if (record.errorClass != null) to.text(Key.errorType, record.errorClass);
  if (content === undefined) return;
  const messages = spanContent(record, content);
  if (messages.system !== undefined) to.text(Key.systemInstructions, messages.system);
  if (messages.input !== undefined) to.text(Key.inputMessages, messages.input);
  if (messages.output !== undefined) to.text(Key.outputMessages, messages.output);
}

/**
 * Who served a finished request and who asked: the same for every request of a route and caller.
 * The caller as the access line's `key` shows it (audit/caller-label.ts): a key by its name, a JWT
 * caller by its subject id, so that a name claim a user may choose never reads as a key's name.
 */
function routeAndKeyAttributes(
  to: AttributeTarget,
  route: string | null,
  caller: string | null,
  tenant: string | null,
): void {
  if (route != null) to.text(Key.route, route);
  if (caller != null) to.text(Key.keyName, caller);
  if (tenant != null) to.text(Key.tenant, tenant);
}

/**
 * What the attempt whose answer the client got adds to its client span: the usage its upstream
 * reported and the model it says answered (`answered`, else the one it was asked). An embedding
 * generates no tokens: its span has input tokens alone, as the GenAI conventions' embeddings span.
 */
export function answerAttributes(
  to: AttributeTarget,
  operation: string,
  answered: string,
  inputTokens: number,
  outputTokens: number,
): void {
  to.text(Key.responseModel, answered);
  to.number(Key.inputTokens, inputTokens);
  if (operation !== "embeddings") to.number(Key.outputTokens, outputTokens);
}

/** An upstream attempt's client span; `route` is the worker that served it, once known. */
export function attemptAttributes(
  to: AttributeTarget,
  operation: string,
  info: AttemptInfo,
  route: string,
): void {
  to.grouped(Run.attempt, attemptRunAttributes, operation, info, route);
}

/** `attemptAttributes`, one by one: the same for every first try on a route (its shared AttemptInfo). */
function attemptRunAttributes(
  to: AttributeTarget,
  operation: string,
  info: AttemptInfo,
  route: string,
): void {
  to.text(Key.operation, operation);
  to.text(Key.provider, info.vendor);
  to.text(Key.requestModel, info.upstreamModel);
  to.text(Key.route, route);
  to.number(Key.retry, info.retry);
  to.flag(Key.failover, info.failover);
}
