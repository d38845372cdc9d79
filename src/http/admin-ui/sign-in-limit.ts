import { clientNetwork } from "../../core/client-network.ts";
import { GatewayError } from "../../core/gateway-error.ts";

/** Addresses (IPv6 /64s) counted at once; past it the one whose minute began longest ago is forgotten. */
export const SIGN_IN_ADDRESSES_KEPT = 10_000;

const MINUTE_MS = 60_000;

interface Minute {
  start: number;
  steps: number;
}

/**
 * Counts sign-in steps (single sign-on's two, an admin-key login) per client address in a fixed minute from its first step (an IPv6
 * address by its /64, which one client may hold all of: counted apart, its addresses would each
 * have a bound, and fill the addresses kept; an IPv4-mapped one as its IPv4 address); past
 * `most()` (read at each step) a step is a 429 with `Retry-After` (when that minute ends), before
 * the provider is asked anything or a key checked. A request without an address (handed to `gateway.handle()` without
 * a `clientIp`) is not counted, as for `server.max_client_requests`: under one name, every such
 * client would share one address's bound. Per node: a cluster's nodes count apart.
 */
export class SignInLimit {
  private readonly minutes = new Map<string, Minute>();

  constructor(
    private readonly now: () => number,
    /** Steps an address may take in its minute: the current config's `admin_ui.sign_in_per_minute`. */
    private readonly most: () => number,
    private readonly kept = SIGN_IN_ADDRESSES_KEPT,
  ) {}

  /** Counts one step from `address`; throws the 429 when its minute has had `most` already. */
  step(address: string | null): void {
    const wait = this.take(address);
    if (wait !== undefined) throw this.refusal(wait, address);
  }

  /** Counts one step from `address`; past the bound, counts nothing and answers the seconds to wait. */
  take(address: string | null): number | undefined {
    if (address === null) return undefined;
    const network = clientNetwork(address);
    const now = this.now();
    const minute = this.minutes.get(network);
    if (minute === undefined || now - minute.start >= MINUTE_MS) {
      // A new minute goes to the back: the front is the minute that began longest ago.
      this.minutes.delete(network);
      if (this.minutes.size >= this.kept) this.forgetOldest(now);
      this.minutes.set(network, { start: now, steps: 1 });
      return undefined;
    }
    if (minute.steps >= this.most()) return Math.max(1, Math.ceil((minute.start + MINUTE_MS - now) / 1000));
    minute.steps++;
    return undefined;
  }

  /**
   * The 429 for a step from `address` `seconds` before its minute ends, saying what was counted:
   * for an IPv6 address, its whole /64 (whose other addresses may be someone else's steps).
   */
  refusal(seconds: number, address: string | null): GatewayError {
    const network = address === null ? null : clientNetwork(address);
    const from = network?.endsWith("::/64")
      ? `this address's /64 network (${network}, counted as one address; ${this.most()} a minute)`
      : `this address (${this.most()} a minute)`;
    return new GatewayError({
      status: 429,
      code: "rate_limited",
      message: `too many sign-in attempts from ${from}: try again in ${seconds} s`,
      headers: { "retry-after": String(seconds) },
      refusedBy: "requests",
    });
  }

  /** The minutes ended, else the one that began longest ago: room for one more address. */
  private forgetOldest(now: number): void {
    for (const [address, minute] of this.minutes) {
      if (now - minute.start < MINUTE_MS) break;
      this.minutes.delete(address);
    }
    if (this.minutes.size < this.kept) return;
    const oldest = this.minutes.keys().next();
    if (!oldest.done) this.minutes.delete(oldest.value);
  }
}
