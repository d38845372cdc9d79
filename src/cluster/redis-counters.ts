import type { RedisClient } from "bun";
import type { SharedAdmission, SharedCounters } from "../auth/shared-counters.ts";
import { ADMIT_SCRIPT, RECORD_SCRIPT } from "./admit-script.ts";
import type { RedisLink } from "./redis-link.ts";

const WINDOW_MS = 60_000;
/**
 * Tokens and spend recorded within this long go to Redis in one script call (per node), not
 * one per answer: a count reaches the other nodes at most this much later.
 */
const RECORD_FLUSH_MS = 10;

const sha1 = (text: string) => new Bun.CryptoHasher("sha1").update(text).digest("hex");
const ADMIT_SHA = sha1(ADMIT_SCRIPT);
const RECORD_SHA = sha1(RECORD_SCRIPT);

/** EVALSHA (the script's hash, not its 2 KB text, on every request); EVAL once if Redis lacks it. */
async function runScript(client: RedisClient, script: string, sha: string, args: string[]): Promise<unknown> {
  try {
    return await client.send("EVALSHA", [sha, ...args]);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes("NOSCRIPT")) throw error;
    return client.send("EVAL", [script, ...args]);
  }
}
const CODES = { 1: "budget_exceeded", 2: "rate_limited", 3: "rate_limited" } as const;

export interface RedisCountersOptions {
  link: RedisLink;
  /** Unique per node: makes each request's member in the sorted sets unique. */
  nodeId: string;
  /** Live nodes last seen (the node directory). */
  nodes: () => number;
  onError?: (error: unknown) => void;
}

/**
 * rpm, tpm and budgets counted in Redis, exact over every node: admission is one script run
 * atomically (cluster/admit-script.ts). A spend counter Redis lost (a restart) is seeded from
 * the storage totals of the first node that needs it; only spend recorded after it exists counts.
 */
export function createRedisCounters(options: RedisCountersOptions): SharedCounters {
  const { link } = options;
  let sequence = 0;
  const pendingTokens = new Map<string, number>();
  const pendingSpend = new Map<string, number>();
  let flushTimer: ReturnType<typeof setTimeout> | null = null;
  // The clock of the first record in the window: the tokens' second (an injected clock in tests).
  let firstAt = 0;
  const add = (into: Map<string, number>, key: string, amount: number) =>
    into.set(key, (into.get(key) ?? 0) + amount);
  const flushRecords = () => {
    flushTimer = null;
    const tokens = [...pendingTokens];
    const spend = [...pendingSpend];
    pendingTokens.clear();
    pendingSpend.clear();
    const keys = [
      ...tokens.map(([subject]) => `mgw:tpm:${subject}`),
      ...spend.map(([subject]) => `mgw:spend:${subject}`),
    ];
    const argv = [
      String(Math.floor(firstAt / 1000)),
      String(WINDOW_MS),
      String(tokens.length),
      ...tokens.map(([, amount]) => String(amount)),
      ...spend.map(([, amount]) => String(amount)),
    ];
    link
      .call((client) => runScript(client, RECORD_SCRIPT, RECORD_SHA, [String(keys.length), ...keys, ...argv]))
      .catch((error: unknown) => options.onError?.(error));
  };
  return {
    available: () => link.healthy(),
    nodes: () => Math.max(1, options.nodes()),
    async admit(scopes, now): Promise<SharedAdmission> {
      const keys = scopes.flatMap((s) => [
        `mgw:rpm:${s.subject}`,
        `mgw:tpm:${s.subject}`,
        `mgw:spend:${s.spendSubject}`,
      ]);
      const argv = [
        String(now),
        String(WINDOW_MS),
        String(scopes.length),
        `${now}:${options.nodeId}:${++sequence}`,
        ...scopes.flatMap((s) => [
          String(s.rpm ?? -1),
          String(s.tpm ?? -1),
          String(s.budgetUsd ?? -1),
          String(s.spentLocally),
        ]),
      ];
      const reply = (await link.call((client) =>
        runScript(client, ADMIT_SCRIPT, ADMIT_SHA, [String(keys.length), ...keys, ...argv]),
      )) as number[];
      const [verdict = 0, index = 0, wait = 0] = reply;
      const usage = scopes.map((_, i) => {
        const at = 3 + i * 4;
        return {
          requests: reply[at] ?? 0,
          requestsResetMs: reply[at + 1] ?? 0,
          tokens: reply[at + 2] ?? 0,
          tokensResetMs: reply[at + 3] ?? 0,
        };
      });
      const code = CODES[verdict as keyof typeof CODES];
      return { refused: code ? { index, code, waitMs: wait } : null, usage };
    },
    record(tokens, spend, now) {
      if (tokens.length === 0 && spend.length === 0) return;
      if (flushTimer === null) firstAt = now;
      for (const t of tokens) add(pendingTokens, t.subject, t.tokens);
      for (const s of spend) add(pendingSpend, s.subject, s.usd);
      flushTimer ??= setTimeout(flushRecords, RECORD_FLUSH_MS);
    },
  };
}
