import { badRequest } from "../core/gateway-error.ts";

/**
 * A shadow page's cursor is the id of the last pair it listed. One that names no pair is refused (400,
 * `cursor`), as a bad audit cursor is: read as an empty page it ended a walk told nothing. A pair
 * pruned since its page was printed names none either; its older pairs mostly went with it.
 */
export const noSuchPair = () =>
  badRequest(
    "cursor: names no pair: not a page's next cursor, or its pair was pruned since (leave it out to read from the newest)",
    "cursor",
  );
