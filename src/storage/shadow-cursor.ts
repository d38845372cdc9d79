import { badRequest } from "../core/gateway-error.ts";

/**
 * A shadow page's cursor is the id of the last pair it listed. One that names no pair is refused (400,
 * `cursor`), as a bad audit cursor is: read as an empty page it ended a walk told nothing. A pair
 * pruned since its page was printed names none either; its older pairs mostly went with it. With a
 * tenant's pages (a reader held to its own, or an admin's `?tenant=`), another tenant's pair names
 * none too: read as a position, it answered 200 where an id of no pair is a 400, telling a tenant's
 * reader that another tenant's pair of that id exists.
 */
export const noSuchPair = () =>
  badRequest(
    "cursor: names no pair: not a page's next cursor, or its pair was pruned since (leave it out to read from the newest)",
    "cursor",
  );
