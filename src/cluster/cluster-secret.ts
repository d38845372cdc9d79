import { createHash, timingSafeEqual } from "node:crypto";

/** The header a node sends on node-to-node calls; never a client credential. */
export const CLUSTER_HEADER = "x-mindgw-cluster-secret";

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Constant-time comparison of a presented secret with `cluster.secret`. */
export function secretMatches(presented: string | null, secret: string): boolean {
  if (presented === null) return false;
  return timingSafeEqual(digest(presented), digest(secret));
}
