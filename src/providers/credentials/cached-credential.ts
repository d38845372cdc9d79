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
 * one fetch in flight; a failed fetch is not cached, so the next call tries again.
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
    this.pending ??= this.options.fetch().finally(() => {
      this.pending = undefined;
    });
    this.current = await this.pending;
    return this.current.value;
  }
}
