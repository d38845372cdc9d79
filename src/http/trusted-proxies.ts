import { BlockList } from "node:net";
import { addressBlock, addressFamily } from "../core/address-block.ts";

/**
 * `server.trusted_proxies`, ready to ask: the load balancers and proxies whose `X-Forwarded-For`
 * names the client. Built once per config version, and only when the list has entries: with none,
 * a request's address is its socket's peer and nothing here runs.
 */
export class TrustedProxies {
  private readonly blocks = new BlockList();

  /** `entries`: addresses and CIDR blocks, as the config schema checked them. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const block = addressBlock(entry);
      if (block) this.blocks.addSubnet(block.address, block.prefix, block.family);
    }
  }

  /** Whether `address` is one of the proxies (an IPv4 one also as `::ffff:a.b.c.d`). */
  has(address: string): boolean {
    const family = addressFamily(address);
    return family !== undefined && this.blocks.check(address, family);
  }

  /**
   * The client of a request from `peer`. From a proxy, the right-most address of its
   * `X-Forwarded-For` that is not itself a proxy in the list: each proxy appends the address it
   * got the request from, and whatever stands left of the client's address the client may have
   * written itself. An entry that is no address ends the walk at the last proxy believed.
   */
  clientOf(peer: string, forwardedFor: string | null): string {
    if (forwardedFor === null || !this.has(peer)) return peer;
    const hops = forwardedFor.split(",");
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = (hops[i] as string).trim();
      if (addressFamily(hop) === undefined) break;
      client = hop;
      if (!this.has(hop)) break;
    }
    return client;
  }
}

/** The proxies of `entries`, or undefined for an empty list: the common case pays nothing. */
export const trustedProxiesOf = (entries: readonly string[]): TrustedProxies | undefined =>
  entries.length === 0 ? undefined : new TrustedProxies(entries);
