import type { AuditRecord } from "../audit/audit-record.ts";
import { type RedactBody, redactSafely } from "../audit/redact-body.ts";
import type { Pricing } from "../auth/rate-limiter.ts";
import type { JsonObject, Operation } from "../core/dialect.ts";
import { randomUuidV7 } from "../core/random-uuid-v7.ts";
import { agreementOf } from "./agreement.ts";
import { type Answer, answerFromJson } from "./answer.ts";
import type { CapturedStream } from "./capture-answer.ts";
import { keptAnswer } from "./kept-answer.ts";
import type { ShadowOutcome } from "./read-copy.ts";
import type { ShadowRecord, ShadowSide } from "./shadow-api-schema.ts";
import { answerFromSseText } from "./sse-answer-reader.ts";

/** The primary's audit fields a pair's record keeps: plain data, so the shadow thread has it too. */
export type PrimaryFacts = Pick<
  AuditRecord,
  | "requestId"
  | "tenant"
  | "keyId"
  | "keyName"
  | "status"
  | "errorClass"
  | "latencyMs"
  | "ttfbMs"
  | "route"
  | "upstreamModel"
  | "inputTokens"
  | "outputTokens"
  | "costUsd"
>;

export function primaryFacts(record: AuditRecord): PrimaryFacts {
  return {
    requestId: record.requestId,
    tenant: record.tenant,
    keyId: record.keyId,
    keyName: record.keyName,
    status: record.status,
    errorClass: record.errorClass,
    latencyMs: record.latencyMs,
    ttfbMs: record.ttfbMs,
    route: record.route,
    upstreamModel: record.upstreamModel,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    costUsd: record.costUsd,
  };
}

/** What a pair is about, known when the copy is sampled: plain data. */
export interface PairFacts {
  /** The model the client asked for. */
  readonly model: string;
  readonly stream: boolean;
  readonly operation: Operation;
  /** The shadow route's label and upstream model. */
  readonly route: string;
  readonly upstreamModel: string;
  /**
   * The request's structured-output ask (`response_format`, `text`, Anthropic's `output_config` and
   * `output_format`): all agreement reads of it.
   */
  readonly format: JsonObject;
}

/** The request fields that hold its structured-output ask, in every dialect (agreement.ts reads them). */
const FORMAT_FIELDS = ["response_format", "text", "output_config", "output_format"] as const;

export function pairFacts(
  request: { model: string; stream: boolean; operation: Operation; body: JsonObject },
  route: { label: string; upstreamModel: string },
): PairFacts {
  const format: JsonObject = {};
  for (const field of FORMAT_FIELDS)
    if (request.body[field] !== undefined) format[field] = request.body[field];
  return {
    model: request.model,
    stream: request.stream,
    operation: request.operation,
    route: route.label,
    upstreamModel: route.upstreamModel,
    format,
  };
}

/**
 * The primary's answer as the gateway kept it for the pair, mostly without reading it: its parsed
 * body, its bytes (a body, or a stream's wire bytes), a stream's captured text, or the answer of a
 * stream too long to keep as bytes (capture-answer.ts), read as it passed.
 */
export type PrimarySource =
  | { readonly kind: "json"; readonly body: unknown }
  /** `parsed`: the gateway's own parse of them, when it made one (never sent to the thread). */
  | { readonly kind: "bytes"; readonly body: Uint8Array; readonly parsed?: unknown }
  | { readonly kind: "text"; readonly text: string }
  | CapturedStream;

export function answerOf(operation: Operation, source: PrimarySource): Answer {
  if (source.kind === "json") return answerFromJson(operation, source.body);
  if (source.kind === "answer") return source.answer;
  if (source.kind === "text") return answerFromSseText(operation, source.text);
  if (source.kind === "sse") return answerFromSseText(operation, new TextDecoder().decode(source.body));
  if (source.parsed !== undefined) return answerFromJson(operation, source.parsed);
  const text = new TextDecoder().decode(source.body);
  try {
    return answerFromJson(operation, JSON.parse(text));
  } catch {
    return answerFromSseText(operation, text);
  }
}

/** How records are made under the current config (the same on the event loop and the shadow thread). */
export interface RecordRules {
  /** `shadow.max_answer`: bytes of each answer's text kept (kept-answer.ts). */
  readonly maxAnswer: number;
  /** `audit.bodies`: answers are kept only while bodies may be kept. */
  readonly keepAnswers: boolean;
  readonly redact: RedactBody;
  readonly pricing: Pricing;
}

/**
 * What a side's answer shows: its text, and an OpenAI refusal's words (its content null), marked,
 * which would otherwise show as an empty answer.
 */
const shownText = (answer: Answer) =>
  answer.refusal === undefined
    ? answer.text
    : `${answer.text ? `${answer.text}\n` : ""}[refusal] ${answer.refusal}`;

function side(
  /** Either side's: the primary's error class is its audit record's (any text). */
  outcome: Pick<ShadowOutcome, "status" | "latencyMs" | "ttftMs"> & { readonly errorClass: string | null },
  route: string | null,
  upstreamModel: string | null,
  tokens: { input: number; output: number },
  costUsd: number,
  answer: Answer | null | undefined,
  rules: RecordRules,
): ShadowSide {
  const kept = rules.keepAnswers && answer ? keptAnswer(shownText(answer), rules.maxAnswer) : null;
  return {
    route,
    upstreamModel,
    status: outcome.status,
    errorClass: outcome.errorClass,
    latencyMs: Math.round(outcome.latencyMs * 100) / 100,
    ttftMs: outcome.ttftMs === null ? null : Math.round(outcome.ttftMs * 100) / 100,
    inputTokens: tokens.input,
    outputTokens: tokens.output,
    costUsd,
    answer: kept === null ? null : redactSafely(rules.redact, kept, "response"),
    // How it ended is no part of what the caller said: kept without audit.bodies too.
    finish: answer?.finish ?? null,
  };
}

/**
 * The stored record of a finished pair: answers compared and priced. `primaryAnswer` is read
 * only when the primary succeeded (a failed side has no answer to compare).
 */
export function shadowRecord(
  facts: PairFacts,
  primary: PrimaryFacts,
  primaryAnswer: (() => Answer) | undefined,
  shadow: ShadowOutcome,
  at: number,
  rules: RecordRules,
): ShadowRecord {
  const ok = primary.status >= 200 && primary.status < 300;
  const answer = ok ? (primaryAnswer?.() ?? null) : null;
  const usage = shadow.usage;
  // The worker that took the copy, when its route chose one, as the primary's row names its own.
  const route = shadow.servedBy ?? facts.route;
  return {
    // Time-ordered (UUIDv7, by the pair's time): the stores' unique index on it grows at its end,
    // not at random. Its other bits random, as its tenant's readers see it (random-uuid-v7.ts).
    id: randomUuidV7(at),
    requestId: primary.requestId,
    at,
    tenant: primary.tenant,
    keyId: primary.keyId,
    keyName: primary.keyName,
    model: facts.model,
    stream: facts.stream,
    primary: side(
      {
        status: primary.status,
        errorClass: primary.errorClass,
        latencyMs: primary.latencyMs,
        ttftMs: facts.stream ? primary.ttfbMs : null,
      },
      primary.route,
      primary.upstreamModel,
      { input: primary.inputTokens, output: primary.outputTokens },
      primary.costUsd,
      answer,
      rules,
    ),
    shadow: side(
      shadow,
      route,
      facts.upstreamModel,
      { input: usage.inputTokens, output: usage.outputTokens },
      rules.pricing.cost(
        facts.upstreamModel,
        usage,
        { route, upstreamModel: facts.upstreamModel },
        Date.now(),
      ),
      shadow.answer,
      rules,
    ),
    agreement: agreementOf(facts.format, answer, shadow.answer),
  };
}
