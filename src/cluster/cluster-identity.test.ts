import { expect, test } from "bun:test";
import { forThisNode } from "./cluster-identity.ts";
import { keyNotice } from "./key-notice.ts";

test("a key change is taken stamped by this cluster or unstamped (the previous release's bare id), never stamped by another", () => {
  expect(forThisNode(keyNotice("ours", "k1"), "ours")).toBe(true);
  expect(forThisNode("k1", "ours")).toBe(true);
  expect(forThisNode(keyNotice("theirs", "k1"), "ours")).toBe(false);
});

test("a config change is taken from another node of this cluster, not from this node itself nor from another cluster", () => {
  const notice = (cluster: string, node: string) =>
    JSON.stringify({ cluster, node, version: 2, fingerprint: "f" });
  expect(forThisNode(notice("ours", "gw-2"), "ours", "gw-1")).toBe(true);
  expect(forThisNode(notice("ours", "gw-1"), "ours", "gw-1")).toBe(false);
  expect(forThisNode(notice("theirs", "gw-2"), "ours", "gw-1")).toBe(false);
});
