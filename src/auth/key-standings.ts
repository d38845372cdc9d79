import { monotonicClock } from "../core/steady-clock.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { KEY_ID_PREFIX } from "./caller-id.ts";
import { failuresRetryable } from "./key-store-failures.ts";
import { keyStatus } from "./key-view.ts";

/** Key ids remembered, as many as KeyCache holds keys; past that, the longest remembered is let go. */
const REMEMBERED = 100_000;

/**
 * A key id's record as read, or being read; `until` (the `elapsed` clock) bounds an unheld key's
 * answer (Infinity for a held one).
 */
interface Remembered {
  record: Promise<KeyRecord | null>;
  until: number;
}

/**
 * Whether the key an embedder's principal names still stands (web UI sessions under an embedder's
 * authenticator, admin-ui.ts): not once the gateway's store holds it revoked or expired. Each id is
 * read once, then kept up to date by the key changes the key cache learns (`keyChanged`: this
 * node's at once, another process's within its refresh), as a key's principal is on the API; its
 * expiry is read against the time at each ask. An id the store does not hold is the embedder's own
 * and stands, read again after `negativeTtlMs`; one that cannot be a stored key's (no `key_`
 * prefix) stands without a read. A store that fails is a 503 to retry (key-store-failures.ts), not
 * a refusal: the session is kept.
 */
export class KeyStandings {
  private readonly getById: KeyStore["getById"];
  private readonly known = new Map<string, Remembered>();
  private readonly now: () => number;
  private readonly elapsed: () => number;

  /**
   * `now`, the wall clock, dates a key's expiry; `elapsed`, one an NTP step never moves, times an
   * unheld id's `negativeTtlMs` (on the wall clock a step back kept it for the step's length). A
   * test's `now` given alone times both, as KeyCache's and CachedCredential's do.
   */
  constructor(
    store: KeyStore,
    now?: () => number,
    private readonly negativeTtlMs = 5000,
    elapsed?: () => number,
  ) {
    this.getById = failuresRetryable(store).getById;
    this.now = now ?? Date.now;
    this.elapsed = elapsed ?? now ?? monotonicClock;
  }

  async stands(keyId: string): Promise<boolean> {
    if (!keyId.startsWith(KEY_ID_PREFIX)) return true;
    const record = await this.rememberedOf(keyId).record;
    return record === null || keyStatus(record, this.now()) === "active";
  }

  /** Wired to every key change the key cache learns of: a remembered key's record is replaced. */
  keyChanged(record: KeyRecord): void {
    if (this.known.has(record.id))
      this.known.set(record.id, { record: Promise.resolve(record), until: Number.POSITIVE_INFINITY });
  }

  private rememberedOf(keyId: string): Remembered {
    const remembered = this.known.get(keyId);
    if (remembered !== undefined && this.elapsed() < remembered.until) return remembered;
    if (remembered !== undefined) this.known.delete(keyId);
    else if (this.known.size >= REMEMBERED) {
      const oldest = this.known.keys().next();
      if (!oldest.done) this.known.delete(oldest.value);
    }
    const fresh: Remembered = { record: Promise.resolve(null), until: Number.POSITIVE_INFINITY };
    fresh.record = this.getById(keyId).then(
      (record) => {
        if (record === null) fresh.until = this.elapsed() + this.negativeTtlMs;
        return record;
      },
      (error: unknown) => {
        // Not remembered: the next ask reads again.
        if (this.known.get(keyId) === fresh) this.known.delete(keyId);
        throw error;
      },
    );
    this.known.set(keyId, fresh);
    return fresh;
  }
}
