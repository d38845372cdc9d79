import { monotonicClock } from "../core/steady-clock.ts";
import type { TenantUsage } from "../storage/storage.ts";

/** The usage of each of `tenants` in [from, to), as a report reads it. */
export type UsageRead = (
  tenants: readonly string[],
  from: number,
  to: number,
) => Promise<ReadonlyMap<string, TenantUsage>>;

export interface SharedUsageOptions {
  /** How long a read's answer serves the same tenants and period again (ms). */
  readonly freshMs: number;
  readonly now?: () => number;
}

interface Entry {
  readonly answer: Promise<ReadonlyMap<string, TenantUsage>>;
  /** When the read settled; undefined while it runs. */
  settledAt?: number;
}

/**
 * `read` shared by its callers: a call while the same tenants and period are being read waits for
 * that read, and one within `freshMs` of its answer is given it, so however many callers poll
 * (the Keys page every 30 s, a member's key in a loop), the store scans each tenant set and period
 * at most once per `freshMs`. A scan reads every row of the period (about 0.26 s for 500,000 on
 * SQLite's own usage thread, beside the audit writes), so a member's key in a loop would otherwise
 * keep a core busy. A failed read is not kept: the next call reads again.
 */
export function sharedUsage(read: UsageRead, options: SharedUsageOptions): UsageRead {
  // How long an answer serves is a wait: on the wall clock an NTP step back kept the usage read
  // before it for as long as the step.
  const now = options.now ?? monotonicClock;
  const entries = new Map<string, Entry>();
  const stale = (entry: Entry, at: number) =>
    entry.settledAt !== undefined && at - entry.settledAt >= options.freshMs;
  return (tenants, from, to) => {
    const at = now();
    // The config's tenants change with a reload, the period daily: a handful of keys live at once.
    for (const [key, entry] of entries) if (stale(entry, at)) entries.delete(key);
    const key = JSON.stringify([[...tenants].sort(), from, to]);
    const kept = entries.get(key);
    if (kept) return kept.answer;
    const answer = read(tenants, from, to);
    const entry: Entry = { answer };
    entries.set(key, entry);
    answer.then(
      () => {
        entry.settledAt = now();
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return answer;
  };
}
