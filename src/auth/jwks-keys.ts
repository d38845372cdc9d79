import type { FlattenedJWSInput, JWSHeaderParameters, LocalJWKSet } from "jose";
import { GatewayError } from "../core/gateway-error.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import { type DroppedKey, usableKeys } from "./jwks-usable-keys.ts";

/** How often and how long the set is fetched: a reload may change these on the set in hand (`retune`). */
export interface JwksTiming {
  /** How long a fetched set is fresh; after it, the next request starts a refresh it does not wait for. */
  maxAgeMs: number;
  /** The least time between refetches for a `kid` the set lacks, and the longest backoff after a failure. */
  cooldownMs: number;
  /** One fetch's bound. */
  timeoutMs: number;
}

export interface JwksKeysOptions extends JwksTiming {
  url: URL;
  /** Told of every failed fetch (the set in hand keeps serving), for the log. */
  onFetchFailed?: (reason: string) => void;
  /**
   * Told of each broken key a fetched set holds beside good ones (the good ones serve), for the
   * log: once per set, not again at each refresh that brings the same one.
   */
  onKeyDropped?: (key: DroppedKey) => void;
  now?: () => number;
  fetch?: typeof fetch;
}

/** The first wait after a failed fetch; each further failure doubles it, up to the cooldown. */
const FIRST_BACKOFF_MS = 1_000;

/** No key set could be had: the gateway's failure, so a 503 the caller may retry, in its dialect. */
const jwksUnavailable = (why: string, retryInMs: number) =>
  new GatewayError({
    status: 503,
    code: "unavailable",
    message: "the token issuer's signing keys cannot be fetched; try again later",
    retryable: true,
    headers: { "retry-after": String(Math.max(1, Math.ceil(retryInMs / 1000))) },
    detail: `jwks unavailable: ${why}`,
  });

/**
 * The issuer's key set (`auth.jwt.jwks_url`), fetched once and kept. A request never waits on a
 * refresh while a set is in hand: a stale set serves while one fetch runs behind it, and a fetch
 * that fails (down, slow, a bad document) leaves the last good set serving and is tried again
 * after a backoff (1 s doubling up to the cooldown), never once per request. A request waits only
 * for the first set, or for a `kid` the set lacks (a rotation; at most once per cooldown); if that
 * fetch fails it is a 503, and a kid still unknown after a good fetch is the token's fault (401).
 * A set is good when at least one of its keys imports: broken keys beside good ones are left out
 * (and logged, once per set), and a set of only broken keys is a failed fetch. A set that publishes
 * no signing key at all (`"keys": []`) is the issuer's word, not a failure: an issuer revoking
 * every key at once (a leaked one) is obeyed, and every token is refused (401) until it publishes
 * one again.
 */
export class JwksKeys {
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private keys: LocalJWKSet | undefined;
  /** The RFC 7638 thumbprints of the keys of the set in hand (`holds`). */
  private thumbprints: ReadonlySet<string> = new Set();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private running: Promise<LocalJWKSet> | undefined;
  private failures = 0;
  private retryAt = Number.NEGATIVE_INFINITY;
  private lastFailure = "";
  /** The kids of the last set fetched: its broken keys are logged when a set differs from it. */
  private lastKids = "";

  constructor(private options: JwksKeysOptions) {
    // The cache's age, cooldown and backoff are waits: on the wall clock an NTP step back held a
    // rotated key's tokens refused (401), or the JWKS unfetched, for as long as the step.
    this.now = options.now ?? monotonicClock;
    this.fetch = options.fetch ?? fetch;
  }

  /** The JWKS this set is fetched from. */
  get url(): string {
    return this.options.url.href;
  }

  /** New timings from a reload, for the set in hand: its keys are kept. */
  retune(timing: JwksTiming): void {
    const { maxAgeMs, cooldownMs, timeoutMs } = timing;
    this.options = { ...this.options, maxAgeMs, cooldownMs, timeoutMs };
  }

  /** jose's key lookup (`jwtVerify`'s second argument). */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    const keys = await this.inHand();
    try {
      return await keys(header, token);
    } catch (error) {
      if (!isNoMatchingKey(error) || this.now() - this.fetchedAt < this.options.cooldownMs) throw error;
    }
    // A kid the set lacks: the issuer may have rotated; ask again, once per cooldown.
    return (await this.refreshNow())(header, token);
  };

  /**
   * Whether the set in hand still publishes the key with this RFC 7638 thumbprint (a web UI session
   * kept the one that verified its token). No fetch of its own: as for a token, the first set is
   * waited for, and a stale one answers while its refresh runs behind it.
   */
  async holds(thumbprint: string): Promise<boolean> {
    await this.inHand();
    return this.thumbprints.has(thumbprint);
  }

  /** The set to verify with: at once when one is in hand (refreshed behind the request when stale). */
  private async inHand(): Promise<LocalJWKSet> {
    if (this.keys) {
      if (this.now() - this.fetchedAt >= this.options.maxAgeMs) void this.refresh().catch(() => {});
      return this.keys;
    }
    return this.refreshNow();
  }

  /** A fetch the request waits for, and the set it brought: a 503 when it cannot be made or fails. */
  private async refreshNow(): Promise<LocalJWKSet> {
    try {
      return await this.refresh();
    } catch {
      // Not the fetch's own error, which may name the URL: that is for the log (`onFetchFailed`).
      throw jwksUnavailable(this.lastFailure, this.retryAt - this.now());
    }
  }

  /** One fetch at a time, none before the backoff after a failure has passed. */
  private refresh(): Promise<LocalJWKSet> {
    if (this.running) return this.running;
    if (this.now() < this.retryAt) return Promise.reject(new Error(this.lastFailure));
    this.running = this.load().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async load(): Promise<LocalJWKSet> {
    try {
      const { createLocalJWKSet, calculateJwkThumbprint } = require("jose") as typeof import("jose");
      const response = await this.fetch(this.options.url, {
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`the JWKS answered ${response.status}`);
      const { keys: usable, dropped, kids } = await usableKeys(await response.json());
      if (usable.length === 0 && dropped.length > 0)
        throw new Error(`the JWKS holds no usable key${listed(dropped)}`);
      const set = JSON.stringify(kids);
      if (set !== this.lastKids) for (const key of dropped) this.options.onKeyDropped?.(key);
      this.lastKids = set;
      const keys = createLocalJWKSet({ keys: usable });
      this.thumbprints = new Set(await Promise.all(usable.map((key) => calculateJwkThumbprint(key))));
      this.keys = keys;
      this.fetchedAt = this.now();
      this.failures = 0;
      this.retryAt = Number.NEGATIVE_INFINITY;
      return keys;
    } catch (error) {
      this.lastFailure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const longest = Math.max(this.options.cooldownMs, FIRST_BACKOFF_MS);
      this.retryAt = this.now() + Math.min(FIRST_BACKOFF_MS * 2 ** this.failures, longest);
      this.failures++;
      this.options.onFetchFailed?.(this.lastFailure);
      throw error;
    }
  }
}

const isNoMatchingKey = (error: unknown) =>
  typeof error === "object" && error !== null && "code" in error && error.code === "ERR_JWKS_NO_MATCHING_KEY";

/** The broken keys of a set, for its failure's reason: ` (k1: DataError: …; k2: …)`. */
const listed = (dropped: readonly DroppedKey[]) =>
  dropped.length === 0 ? "" : ` (${dropped.map((key) => `${key.kid}: ${key.reason}`).join("; ")})`;
