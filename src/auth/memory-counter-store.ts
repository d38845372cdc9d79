import type { CounterStore } from "./counter-store.ts";
import { RequestLog } from "./request-log.ts";
import { SubjectLogs } from "./subject-logs.ts";
import { TokenLog } from "./token-log.ts";

/** The per-process CounterStore: exact on one node. A subject whose window empties is let go. */
export class MemoryCounterStore implements CounterStore {
  private readonly requests: SubjectLogs<RequestLog>;
  private readonly tokens: SubjectLogs<TokenLog>;

  constructor(windowMs = 60_000) {
    this.requests = new SubjectLogs(() => new RequestLog(windowMs));
    this.tokens = new SubjectLogs(() => new TokenLog(windowMs));
  }

  /** Subjects held, with requests and with tokens counted (for tests). */
  held(): { requests: number; tokens: number } {
    return { requests: this.requests.size, tokens: this.tokens.size };
  }

  takeRequest(subject: string, limit: number, now: number): number {
    return this.requests.take(subject, now).take(limit, now);
  }

  requestsUsed(subject: string, now: number): number {
    return this.requests.get(subject)?.used(now) ?? 0;
  }

  requestsResetMs(subject: string, now: number): number {
    return this.requests.get(subject)?.resetMs(now) ?? 0;
  }

  addTokens(subject: string, tokens: number, now: number): void {
    this.tokens.take(subject, now).add(tokens, now);
  }

  tokensUsed(subject: string, now: number): number {
    return this.tokens.get(subject)?.used(now) ?? 0;
  }

  tokensFreeInMs(subject: string, limit: number, now: number): number {
    return this.tokens.get(subject)?.freeInMs(limit, now) ?? 0;
  }

  tokensResetMs(subject: string, now: number): number {
    return this.tokens.get(subject)?.resetMs(now) ?? 0;
  }
}
