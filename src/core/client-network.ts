import { isIP } from "node:net";

/** An IPv4 address written in the last 32 bits of an IPv6 one: its two 16-bit groups. */
function dottedGroups(dotted: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split(".").map(Number);
  return [(a << 8) | b, (c << 8) | d];
}

/** The eight 16-bit groups of a valid IPv6 address, `::` and a dotted tail expanded. */
function ipv6Groups(address: string): number[] {
  const parts = (text: string) =>
    text === ""
      ? []
      : text
          .split(":")
          .flatMap((part) => (part.includes(".") ? dottedGroups(part) : [Number.parseInt(part, 16)]));
  const gap = address.indexOf("::");
  if (gap === -1) return parts(address);
  const head = parts(address.slice(0, gap));
  const tail = parts(address.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

const hex = (group: number) => group.toString(16);

/**
 * The network a client address is counted by: an IPv4 address as itself; an IPv6 one by its /64
 * (`2001:db8:1:2::/64`), the least a site is given, whose every address one client may take; an
 * IPv4-mapped one (`::ffff:192.0.2.7`, how a dual-stack socket sees an IPv4 peer) as its IPv4
 * address. However the address is written (case, leading zeros, `::`), one network is one string.
 * Anything that is no IP address (a name an embedder gave) is counted as it is.
 */
export function clientNetwork(address: string): string {
  const zone = address.indexOf("%");
  const bare = zone === -1 ? address : address.slice(0, zone);
  if (isIP(bare) !== 6) return address;
  const groups = ipv6Groups(bare.toLowerCase());
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff)
    return [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join(".");
  return `${groups.slice(0, 4).map(hex).join(":")}::/64`;
}
