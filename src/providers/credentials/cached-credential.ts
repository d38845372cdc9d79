/** A credential with the moment (epoch ms) it stops being valid; `Infinity` for static ones. */
export interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/** A refresh started while the cached credential was still valid failed: it stays in use for `validForMs` more. */
export type RefreshFailed = (error: unknown, validForMs: number) => void;

/**
 * What a credential source is handed besides its own settings (entra-token.ts, aws-credentials.ts,
 * service-account-token.ts): the `fetch` its endpoint is called with, its clock, and who is told of
 * a refresh that failed while the cached credential still answered.
 */
export interface CredentialCalls {
  fetch?: typeof fetch;
  now?: () => number;
  refreshFailed?: RefreshFailed;
}

export interface CachedCredentialOptions<T> {
  /** Fetches a fresh credential (token endpoint, metadata service, file). */
  fetch: () => Promise<Expiring<T>>;
  /**
   * Start a refresh this long before expiry (default five minutes), at most half the credential's
   * lifetime: one that lives five minutes or less is used for its first half.
   */
  marginMs?: number;
  now?: () => number;
  refreshFailed?: RefreshFailed;
}

/**
 * After a refresh beside a valid credential fails, how long until a call tries another: a token
 * endpoint that is down (or throttling) is not asked again for every call, on every node.
 */
const RETRY_AFTER_FAILED_REFRESH_MS = 5_000;

/** A fetched credential and the moment its refresh starts. */
interface Cached<T> extends Expiring<T> {
  readonly refreshAt: number;
}

/**
 * A cloud credential fetched once and refreshed before it expires. Within its refresh margin the
 * cached one still answers while a fresh one is fetched beside it, as Azure Identity and the AWS
 * SDKs do: a token endpoint's blip then fails no call (`refreshFailed` is told, and a call five
 * seconds later tries again, never past the expiry; azure-core's token cycler too waits between
 * attempts); only a caller with no valid credential waits for the fetch, and gets its failure (it
 * does not wait out those seconds: its call fails without a credential).
 * Concurrent callers share one fetch in flight; a failed fetch is not cached. One the upstream
 * refuses before its time (revoked, its account disabled) is dropped by `invalidate`.
 */
export class CachedCredential<T> {
  private current: Cached<T> | undefined;
  private pending: Promise<Cached<T>> | undefined;
  /** Before this moment a call on a credential within its margin starts no refresh: the last one failed. */
  private retryAt = 0;
  private readonly marginMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CachedCredentialOptions<T>) {
    this.marginMs = options.marginMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<T> {
    const current = this.current;
    const now = this.now();
    if (current && now < current.refreshAt) return current.value;
    if (current && now < current.expiresAt) {
      if (!this.pending && now >= this.retryAt) this.refreshBeside(current);
      return current.value;
    }
    return (await this.refresh()).value;
  }

  /**
   * The upstream refused `refused` (a 401 for a token it no longer takes): the next `get` fetches
   * a fresh one, and waits for it. Only while `refused` is still the one cached: the other calls
   * refused with it find the fresh one (or its fetch in flight) and share it, so a burst of
   * refusals makes one fetch. False for a credential that never expires (static keys): fetching it
   * again brings back the same, and a second try could not help.
   */
  invalidate(refused: T): boolean {
    const current = this.current;
    if (current?.expiresAt === Number.POSITIVE_INFINITY) return false;
    if (current?.value === refused) this.current = undefined;
    return true;
  }

  /** The fetch in flight, or a new one. */
  private refresh(): Promise<Cached<T>> {
    // Cached once, as the fetch settles, not by each caller it wakes: a caller woken after the
    // token was refused (and invalidated) must not put it back.
    this.pending ??= this.options
      .fetch()
      .then((fresh) => {
        const cached = { ...fresh, refreshAt: refreshAt(fresh, this.now(), this.marginMs) };
        this.current = cached;
        this.retryAt = 0;
        return cached;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** A refresh while `held` still answers: its failure is told, and waited out before another. */
  private refreshBeside(held: Cached<T>): void {
    this.refresh()
      .catch((error: unknown) => {
        const now = this.now();
        this.retryAt = Math.min(now + RETRY_AFTER_FAILED_REFRESH_MS, held.expiresAt);
        // Told only while `held` still answers: not once it was refused (a waiting caller got
        // the failure) nor after it expired.
        if (this.current === held && now < held.expiresAt) this.refreshFailed(error, held.expiresAt - now);
      })
      // Nothing is left to tell of a failure here, and a rejection no one handles ends the process.
      .catch(() => {});
  }

  private refreshFailed(error: unknown, validForMs: number): void {
    try {
      this.options.refreshFailed?.(error, validForMs);
    } catch {
      // The teller failed (an embedder's logger that throws): the calls go on with the valid credential.
    }
  }
}

/** When a credential fetched at `now` is refreshed: `marginMs` before it expires, or half-way through a shorter life. */
function refreshAt(fresh: Expiring<unknown>, now: number, marginMs: number): number {
  const lifetime = fresh.expiresAt - now;
  return fresh.expiresAt - Math.max(0, Math.min(marginMs, lifetime / 2));
}
