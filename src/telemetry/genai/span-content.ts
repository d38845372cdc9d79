import type { AuditRecord, FrontDoor } from "../../audit/audit-record.ts";
import type { RedactBody } from "../../audit/redact-body.ts";
import { withoutByteOrderMark } from "../../core/byte-order-mark.ts";
import { isJsonObject, type JsonObject, type Operation } from "../../core/dialect.ts";
import { wholeAnswerOfStream } from "../../translate/answer/stream-answer.ts";
import { answerMessages } from "./answer-messages.ts";
import { boundedJson } from "./bounded-json.ts";
import { requestMessages } from "./request-messages.ts";

/** Longest value of each content attribute, in characters. */
export const MAX_CONTENT = 16 * 1024;

/** The front doors whose bodies are a model call's, and their operation. */
const OPERATIONS: Partial<Record<FrontDoor, Operation>> = {
  chat: "chat",
  completions: "completions",
  embeddings: "embeddings",
  responses: "responses",
  messages: "messages",
  count_tokens: "count_tokens",
};

/** The content attributes of a server span, each JSON text; absent where there is nothing to say. */
export interface SpanContent {
  system?: string;
  input?: string;
  output?: string;
}

function parsed(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The answer as a whole JSON body: as it was sent, or as its stream's events add up. */
const wholeAnswer = (operation: Operation, body: string) =>
  body.trimStart().startsWith("{") ? parsed(body) : wholeAnswerOfStream(operation, body);

/**
 * `gen_ai.system_instructions`, `gen_ai.input.messages` and `gen_ai.output.messages` of a finished
 * request, from the bodies `audit.bodies` captured (the request as the caller sent it, the answer
 * as the caller got it, a stream's wire text read once here), each at most `MAX_CONTENT`
 * characters of valid JSON, each string through `redact` (the gateway's credential redaction, or an
 * embedder's own, as the audit bodies get). Only called with content capture on.
 */
export function spanContent(record: AuditRecord, redact: RedactBody): SpanContent {
  const operation = OPERATIONS[record.frontDoor];
  if (operation === undefined) return {};
  const content: SpanContent = {};
  // The row keeps a body's leading byte-order mark, as the caller sent it; the parse must skip it.
  const request = record.requestBody == null ? undefined : parsed(withoutByteOrderMark(record.requestBody));
  if (request) {
    const { system, messages } = requestMessages(operation, request);
    const asked = { redact, kind: "request" } as const;
    if (system.length > 0) content.system = boundedJson(system, MAX_CONTENT, "first", asked);
    if (messages.length > 0) content.input = boundedJson(messages, MAX_CONTENT, "last", asked);
  }
  const answer = record.responseBody == null ? undefined : wholeAnswer(operation, record.responseBody);
  const output = answer ? answerMessages(operation, answer) : [];
  if (output.length > 0)
    content.output = boundedJson(output, MAX_CONTENT, "first", { redact, kind: "response" });
  return content;
}
