import { createHash, timingSafeEqual } from "node:crypto";

/** The header a node sends on node-to-node calls; never a client credential. */
export const CLUSTER_HEADER = "x-mindgw-cluster-secret";

const digest = (text: string) => createHash("sha256").update(text).digest();

/**
 * Constant-time comparison of a presented secret with `cluster.secret`; the secret's own digest
 * is taken once, so a check hashes only what was presented.
 */
export function secretCheck(secret: string): (presented: string | null) => boolean {
  const expected = digest(secret);
  return (presented) => presented !== null && timingSafeEqual(digest(presented), expected);
}
