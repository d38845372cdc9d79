/** A credential with the moment (epoch ms) it stops being valid; `Infinity` for static ones. */
export interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

export interface CachedCredentialOptions<T> {
  /** Fetches a fresh credential (token endpoint, metadata service, file). */
  fetch: () => Promise<Expiring<T>>;
  /** Refresh this long before expiry, so no request goes out with a token about to lapse. */
  marginMs?: number;
  now?: () => number;
}

/**
 * A cloud credential fetched once and refreshed before it expires. Concurrent callers share
 * one fetch in flight; a failed fetch is not cached, so the next call tries again. One the
 * upstream refuses before its time (revoked, its account disabled) is dropped by `invalidate`.
 */
export class CachedCredential<T> {
  private current: Expiring<T> | undefined;
  private pending: Promise<Expiring<T>> | undefined;
  private readonly marginMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CachedCredentialOptions<T>) {
    this.marginMs = options.marginMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<T> {
    const current = this.current;
    if (current && this.now() < current.expiresAt - this.marginMs) return current.value;
    // Cached once, as the fetch settles, not by each caller it wakes: a caller woken after the
    // token was refused (and invalidated) must not put it back.
    this.pending ??= this.options
      .fetch()
      .then((fresh) => {
        this.current = fresh;
        return fresh;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return (await this.pending).value;
  }

  /**
   * The upstream refused `refused` (a 401 for a token it no longer takes): the next `get` fetches
   * a fresh one. Only while `refused` is still the one cached: the other calls refused with it
   * find the fresh one (or its fetch in flight) and share it, so a burst of refusals makes one
   * fetch. False for a credential that never expires (static keys): fetching it again brings
   * back the same, and a second try could not help.
   */
  invalidate(refused: T): boolean {
    const current = this.current;
    if (current?.expiresAt === Number.POSITIVE_INFINITY) return false;
    if (current?.value === refused) this.current = undefined;
    return true;
  }
}
