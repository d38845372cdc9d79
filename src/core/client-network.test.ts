import { expect, test } from "bun:test";
import { clientNetwork } from "./client-network.ts";

test("an IPv6 address is its /64, however written; IPv4, IPv4-mapped and anything else as themselves", () => {
  expect(
    [
      "2001:db8:1:2::1",
      "2001:0DB8:0001:0002:ffff:ffff:ffff:ffff",
      "2001:db8:1:2:0:0:0.0.0.1",
      "fe80::1%eth0",
      "::1",
      "::",
      "::ffff:192.0.2.7",
      "::ffff:c000:207",
      "0:0:0:0:0:FFFF:192.0.2.7",
      "192.0.2.7",
      "some-embedder-name",
    ].map(clientNetwork),
  ).toEqual([
    "2001:db8:1:2::/64",
    "2001:db8:1:2::/64",
    "2001:db8:1:2::/64",
    "fe80:0:0:0::/64",
    "0:0:0:0::/64",
    "0:0:0:0::/64",
    "192.0.2.7",
    "192.0.2.7",
    "192.0.2.7",
    "192.0.2.7",
    "some-embedder-name",
  ]);
});
