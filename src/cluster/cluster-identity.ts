/**
 * A message or entry stamped by another cluster (its id: cluster-claim.ts). Pub/sub channels are
 * server-wide, whatever the database index, so a stamp is what keeps one cluster's messages out of
 * another's. Unstamped (`undefined`): a node of the release before stamps, accepted during a
 * rolling upgrade where the message's reader can tell it is one of this cluster's nodes.
 */
export const foreign = (stamp: unknown, clusterId: string): boolean =>
  stamp !== undefined && stamp !== clusterId;

/**
 * A notice's JSON body (a config change's, a key change's), for its stamp and sender; null when it
 * is no JSON object: a key change from a release before stamps, which published the key's id bare.
 */
export function noticeOf(message: string): { cluster?: unknown; node?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(message);
    return parsed !== null && typeof parsed === "object" ? parsed : null;
  } catch {
    return null;
  }
}
