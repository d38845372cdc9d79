import { isIP } from "node:net";

/** An IP address or a block of them: `10.0.0.0/8`, `fd00::/8`, or one address (its full length). */
export interface AddressBlock {
  readonly address: string;
  readonly prefix: number;
  readonly family: "ipv4" | "ipv6";
}

const PREFIX = /^\d{1,3}$/;

/** `entry` as an address block, or undefined when it is neither an address nor a CIDR block. */
export function addressBlock(entry: string): AddressBlock | undefined {
  const slash = entry.indexOf("/");
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? "ipv4" : "ipv6";
  const bits = version === 4 ? 32 : 128;
  if (slash === -1) return { address, prefix: bits, family };
  const prefix = entry.slice(slash + 1);
  if (!PREFIX.test(prefix) || Number(prefix) > bits) return undefined;
  return { address, prefix: Number(prefix), family };
}

/** The family `address` is of, or undefined when it is no IP address (a hostname, junk). */
export function addressFamily(address: string): AddressBlock["family"] | undefined {
  const version = isIP(address);
  return version === 4 ? "ipv4" : version === 6 ? "ipv6" : undefined;
}
