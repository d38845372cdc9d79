import type { JsonObject } from "../../core/dialect.ts";

/**
 * Folds a stream's events (their parsed `data`, in the caller's dialect) into the whole answer
 * that dialect gives without `stream`: a chat completion, a message, a response. What a stream
 * cut short never said stays unsaid (no finish reason, no stop reason, an unfinished status).
 */
export interface AnswerFold {
  take(event: unknown): void;
  whole(): JsonObject | undefined;
}
