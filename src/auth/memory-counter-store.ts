import type { CounterStore } from "./counter-store.ts";
import { RequestLog } from "./request-log.ts";
import { TokenLog } from "./token-log.ts";

/** The per-process CounterStore: exact on one node. */
export class MemoryCounterStore implements CounterStore {
  private readonly requests = new Map<string, RequestLog>();
  private readonly tokens = new Map<string, TokenLog>();

  constructor(private readonly windowMs = 60_000) {}

  takeRequest(subject: string, limit: number, now: number): number {
    let log = this.requests.get(subject);
    if (!log) {
      log = new RequestLog(this.windowMs);
      this.requests.set(subject, log);
    }
    return log.take(limit, now);
  }

  requestsUsed(subject: string, now: number): number {
    return this.requests.get(subject)?.used(now) ?? 0;
  }

  requestsResetMs(subject: string, now: number): number {
    return this.requests.get(subject)?.resetMs(now) ?? 0;
  }

  addTokens(subject: string, tokens: number, now: number): void {
    let log = this.tokens.get(subject);
    if (!log) {
      log = new TokenLog(this.windowMs);
      this.tokens.set(subject, log);
    }
    log.add(tokens, now);
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
