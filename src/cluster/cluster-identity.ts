/**
 * A message or entry stamped by another cluster (its id: cluster-claim.ts). Pub/sub channels are
 * server-wide, whatever the database index, so a stamp is what keeps one cluster's messages out of
 * another's. Unstamped (`undefined`): a notice of a node of the release before stamps, taken (it
 * only makes a node read again); such a node's directory entries and relayed events are unsealed
 * too, and so dropped before their stamp is read (json-seal.ts).
 */
export const foreign = (stamp: unknown, clusterId: string): boolean =>
  stamp !== undefined && stamp !== clusterId;

/**
 * Whether a notice on a server-wide channel (a key change, a config change) is for this node: not
 * stamped by another cluster, and not sent by this node itself (`self`, for notices that name
 * their sender). A key change of the release before stamps (the key's id bare) is taken: it only
 * makes the node read its keys again.
 */
export function forThisNode(message: string, clusterId: string, self?: string): boolean {
  const notice = noticeOf(message);
  return !foreign(notice?.cluster, clusterId) && (self === undefined || notice?.node !== self);
}

/** A notice's JSON body, for its stamp and sender; null when it is no JSON object. */
function noticeOf(message: string): { cluster?: unknown; node?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(message);
    return parsed !== null && typeof parsed === "object" ? parsed : null;
  } catch {
    return null;
  }
}
