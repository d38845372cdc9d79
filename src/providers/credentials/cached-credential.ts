import { monotonicClock } from "../../core/steady-clock.ts";
import { FetchBackoff } from "./fetch-backoff.ts";

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

/**
 * A credential source's cache (entra-token.ts, the Google token sources): `fetchCredential` is
 * handed the caller's `fetch` and wall clock, the global ones where it gave none; the cache only
 * the clock the caller gave (`CachedCredentialOptions.now`: a defaulted Date.now is no test's).
 */
export function cachedCredential<T>(
  calls: CredentialCalls,
  fetchCredential: (doFetch: typeof fetch, now: () => number) => Promise<Expiring<T>>,
): CachedCredential<T> {
  const { fetch: doFetch = fetch, now = Date.now, refreshFailed } = calls;
  return new CachedCredential({ now: calls.now, refreshFailed, fetch: () => fetchCredential(doFetch, now) });
}

export interface CachedCredentialOptions<T> {
  /** Fetches a fresh credential (token endpoint, metadata service, file). */
  fetch: () => Promise<Expiring<T>>;
  /**
   * Start a refresh this long before expiry (default five minutes), at most half the credential's
   * lifetime: one that lives five minutes or less is used for its first half.
   */
  marginMs?: number;
  /**
   * The wall clock (default Date.now): a credential's expiry is the issuer's date. Given by tests
   * only, and then the `elapsed` clock too: a source passes its caller's, not a defaulted Date.now.
   */
  now?: () => number;
  /**
   * The clock the waits run on (the backoff, `FRESH_REFUSAL_MS`): one an NTP step never moves, so a
   * step back holds no call for its length. Default: `now` when a test injects one, else the
   * monotonic clock.
   */
  elapsed?: () => number;
  /** The backoff's jitter, in [0, 1) (default Math.random). */
  random?: () => number;
  refreshFailed?: RefreshFailed;
}

/** A fetched credential, when it arrived and when its refresh starts. */
interface Cached<T> extends Expiring<T> {
  /** On the `elapsed` clock. */
  readonly fetchedAt: number;
  readonly refreshAt: number;
  /** It was fetched in place of one the upstream refused (`invalidate`). */
  readonly replacesRefused: boolean;
}

/**
 * A credential fetched in place of a refused one and refused in turn this soon after it arrived is
 * kept, not fetched again: the endpoint just gave it, and another would be refused alike (Azure's
 * 401 PermissionDenied for an identity without the "Cognitive Services OpenAI User" role, Google's
 * for a token of the wrong scope). Each call would otherwise fetch a token and send twice, and IMDS
 * and App Service throttle. The first refusal, of a credential fetched in the usual way, is always
 * worth one fresh try, however new it is: one revoked just after it arrived is mended by it.
 */
export const FRESH_REFUSAL_MS = 30_000;

/**
 * A cloud credential fetched once and refreshed before it expires. Within its refresh margin the
 * cached one still answers while a fresh one is fetched beside it, as Azure Identity and the AWS
 * SDKs do: a token endpoint's blip then fails no call (`refreshFailed` is told). A failed fetch is
 * not cached, and the endpoint is asked again only after a backoff (fetch-backoff.ts: 2 s doubling
 * to a minute, jittered, its own `Retry-After` honoured; beside a valid credential, never past its
 * expiry): only a caller with no valid credential waits for a fetch, and while the backoff lasts it
 * fails at once with the last failure rather than asking again (nor waiting it out).
 * Concurrent callers share one fetch in flight. One the upstream refuses before its time
 * (revoked, its account disabled) is dropped by `invalidate`, and a fresh one asked for at once;
 * unless that fresh one is refused too within `FRESH_REFUSAL_MS` of its arrival: then it is kept
 * and no second try made, so a refusal no token mends costs at most one fetch in that time, not
 * one a call.
 */
export class CachedCredential<T> {
  private current: Cached<T> | undefined;
  private pending: Promise<Cached<T>> | undefined;
  /** Until when no fetch starts: the last ones failed. On the `elapsed` clock. */
  private readonly backoff: FetchBackoff;
  private readonly marginMs: number;
  private readonly now: () => number;
  private readonly elapsed: () => number;
  /** The last credential was refused and dropped: the next one fetched replaces it. */
  private refusedLast = false;

  constructor(private readonly options: CachedCredentialOptions<T>) {
    this.marginMs = options.marginMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.elapsed = options.elapsed ?? options.now ?? monotonicClock;
    this.backoff = new FetchBackoff(options.random ?? Math.random);
  }

  async get(): Promise<T> {
    const current = this.current;
    const now = this.now();
    if (current && now < current.refreshAt) return current.value;
    // Past the refresh margin (a call in many thousands): the backoff's clock is read only here.
    if (current && now < current.expiresAt) {
      if (!this.pending && this.backoff.open(this.elapsed())) this.refreshBeside(current);
      return current.value;
    }
    if (!this.pending) {
      const elapsed = this.elapsed();
      if (!this.backoff.open(elapsed)) throw this.backoff.refusal(elapsed);
    }
    return (await this.refresh()).value;
  }

  /**
   * The upstream refused `refused` (a 401 for a token it no longer takes): the next `get` fetches
   * a fresh one, and waits for it. Only while `refused` is still the one cached: the other calls
   * refused with it find the fresh one (or its fetch in flight) and share it, so a burst of
   * refusals makes one fetch. False for a credential that never expires (static keys): fetching it
   * again brings back the same, and a second try could not help; false too, and the credential
   * kept, when it replaced a refused one less than `FRESH_REFUSAL_MS` ago (the upstream refuses
   * what the endpoint just gave again: no fresh one would fare better).
   */
  invalidate(refused: T): boolean {
    const current = this.current;
    if (current?.expiresAt === Number.POSITIVE_INFINITY) return false;
    if (current?.value === refused) {
      if (current.replacesRefused && this.elapsed() - current.fetchedAt < FRESH_REFUSAL_MS) return false;
      this.current = undefined;
      this.refusedLast = true;
      // A token refused is worth one fresh try at once, whatever the backoff; failures still count.
      this.backoff.release();
    }
    return true;
  }

  /** The fetch in flight, or a new one. */
  private refresh(): Promise<Cached<T>> {
    // Cached once, as the fetch settles, not by each caller it wakes: a caller woken after the
    // token was refused (and invalidated) must not put it back.
    this.pending ??= this.options
      .fetch()
      .then(
        (fresh) => {
          const now = this.now();
          const cached = {
            ...fresh,
            fetchedAt: this.elapsed(),
            refreshAt: refreshAt(fresh, now, this.marginMs),
            replacesRefused: this.refusedLast,
          };
          this.refusedLast = false;
          this.current = cached;
          this.backoff.succeeded();
          return cached;
        },
        (error: unknown) => {
          const now = this.now();
          const elapsed = this.elapsed();
          // Beside a credential still valid, the backoff's wait ends by its expiry (a wall time, as far
          // off on the backoff's clock): one more try then.
          const held = this.current?.expiresAt;
          this.backoff.failed(
            error,
            elapsed,
            held !== undefined && held > now ? elapsed + (held - now) : undefined,
          );
          throw error;
        },
      )
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
