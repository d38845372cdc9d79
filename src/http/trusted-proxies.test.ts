import { expect, test } from "bun:test";
import { TrustedProxies, trustedProxiesOf } from "./trusted-proxies.ts";

const proxies = new TrustedProxies(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);

test("addresses and blocks, IPv4 (also as an IPv4-mapped IPv6 peer) and IPv6", () => {
  for (const [address, listed] of [
    ["10.1.2.3", true],
    ["::ffff:10.1.2.3", true],
    ["192.168.1.7", true],
    ["192.168.1.8", false],
    ["fd12::1", true],
    ["::1", false],
    ["lb.internal", false],
  ] as const)
    expect([address, proxies.has(address)]).toEqual([address, listed]);
});

test("the client: the right-most address of X-Forwarded-For that no listed proxy is, from a listed peer only", () => {
  for (const [peer, forwardedFor, client] of [
    // A client through one load balancer.
    ["10.0.0.5", "203.0.113.9", "203.0.113.9"],
    // Through two proxies of ours: the client is past both.
    ["10.0.0.5", "203.0.113.9, 10.0.0.6", "203.0.113.9"],
    // A client that wrote its own X-Forwarded-For: what it wrote stands left of its address.
    ["10.0.0.5", "1.1.1.1, 203.0.113.9", "203.0.113.9"],
    ["10.0.0.5", "1.1.1.1,203.0.113.9 ,10.0.0.6", "203.0.113.9"],
    // Every hop a proxy of ours: the farthest one.
    ["10.0.0.5", "10.0.0.7, 10.0.0.6", "10.0.0.7"],
    // No header, an empty one, or junk where the client should be: the last proxy believed.
    ["10.0.0.5", null, "10.0.0.5"],
    ["10.0.0.5", "", "10.0.0.5"],
    ["10.0.0.5", "203.0.113.9, unknown", "10.0.0.5"],
    ["10.0.0.5", "unknown, 10.0.0.6", "10.0.0.6"],
    ["::ffff:10.0.0.5", "2001:db8::1", "2001:db8::1"],
    // Anyone else's header is ignored: its socket's peer.
    ["198.51.100.4", "203.0.113.9", "198.51.100.4"],
  ] as const)
    expect([peer, forwardedFor, proxies.clientOf(peer, forwardedFor)]).toEqual([peer, forwardedFor, client]);
});

test("an empty list makes nothing: every address is its socket's peer", () => {
  expect(trustedProxiesOf([])).toBeUndefined();
  expect(trustedProxiesOf(["127.0.0.1"])).toBeInstanceOf(TrustedProxies);
});
