import { GatewayError } from "../../core/gateway-error.ts";
import { CredentialFailure } from "./credential-failure.ts";

/** The wait after a first failed fetch; each failure in a row doubles it, up to `LONGEST_WAIT_MS`. */
export const FIRST_WAIT_MS = 2_000;
/** The longest wait the backoff reaches: an endpoint down for an hour is asked once a minute. */
export const LONGEST_WAIT_MS = 60_000;
/** The longest `Retry-After` honoured as said: an endpoint's "come back tomorrow" is not a day of 502s. */
export const LONGEST_STATED_WAIT_MS = 10 * 60_000;

/**
 * When a credential endpoint that failed is asked again (cached-credential.ts): after a wait that
 * doubles with each failure in a row (2 s, 4 s, … up to a minute), jittered between its half and
 * its whole so that nodes that failed together do not ask together again, and at least as long as
 * the endpoint asked (`Retry-After` on a 429 or 503, up to ten minutes). As azure-core's token
 * cycler and the AWS SDKs do, a call never sleeps through the wait: one with no valid credential
 * meanwhile fails at once with the last failure, saying when the endpoint is asked again.
 */
export class FetchBackoff {
  private failures = 0;
  private until = 0;
  private last: unknown;

  constructor(private readonly random: () => number) {}

  /**
   * A fetch failed at `now`. `latest`: the wait of the backoff ends by then (a held credential's
   * expiry: one more try as it runs out); a wait the endpoint asked for is kept whole.
   */
  failed(error: unknown, now: number, latest = Number.POSITIVE_INFINITY): void {
    this.failures += 1;
    this.last = error;
    const ceiling = Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** (this.failures - 1));
    const jittered = ceiling / 2 + (this.random() * ceiling) / 2;
    const stated = error instanceof CredentialFailure ? error.retryAfterMs : undefined;
    const asked = stated === undefined ? 0 : Math.min(stated, LONGEST_STATED_WAIT_MS);
    this.until = Math.max(Math.min(now + jittered, latest), now + asked);
  }

  succeeded(): void {
    this.failures = 0;
    this.until = 0;
    this.last = undefined;
  }

  /** The next fetch may go at once (a credential the upstream refused), the failures in a row still counted. */
  release(): void {
    this.until = 0;
  }

  /** Whether a fetch may go at `now`. */
  open(now: number): boolean {
    return now >= this.until;
  }

  /** What a call with no valid credential fails with during the wait: the last failure, with when it ends. */
  refusal(now: number): unknown {
    const last = this.last;
    const note = `; asked again in ${Math.ceil((this.until - now) / 1000)} s`;
    if (last instanceof GatewayError) return last.with({ message: last.message + note });
    if (last instanceof Error) return new Error(last.message + note, { cause: last });
    return last;
  }
}
