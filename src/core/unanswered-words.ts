/**
 * What `mindgw tail` (tui/unanswered-nodes.ts) and the console's live mode (admin-ui/pages/
 * requests.tsx) say of the cluster nodes that did not answer a stream's ask as it opened
 * (`node.unanswered`): `node a did not answer as the stream opened (killed, or slow)`, then what
 * each says of their requests, after `its` or `their` (`nodesOwn`).
 */
export function notAnsweredWords(nodes: readonly string[]): string {
  const names = nodes.join(", ");
  return nodes.length === 1
    ? `node ${names} did not answer as the stream opened (killed, or slow)`
    : `nodes ${names} did not answer as the stream opened (killed, or slow)`;
}

/** The nodes' possessive, for what follows `notAnsweredWords`. */
export const nodesOwn = (nodes: readonly string[]): "its" | "their" => (nodes.length === 1 ? "its" : "their");
