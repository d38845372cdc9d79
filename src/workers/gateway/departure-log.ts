import { KEY_EXPIRY, type KeyEndReason } from "../../auth/key-sessions.ts";
import type { WorkerLog } from "../worker-log.ts";
import type { WorkerIdentity } from "./admit-worker.ts";
import type { RegisteredWorker } from "./registered-worker.ts";

/**
 * Why the gateway ended a worker's connection for its key: revoked or expired (auth/key-sessions.ts),
 * or its tenant removed from `tenants:` by a reload (tenants/caller-holds.ts).
 */
export type WorkerKeyEnd = KeyEndReason | "tenant_removed";

/**
 * Why, in words, of the credential the worker sent: `its key was revoked`, `its key expired (…)`
 * (its own expiry or its rotation's grace: `KEY_EXPIRY`), `its key's tenant was removed`; a JWT's
 * (which has no revoke) `its token (JWT) expired`, `its token's (JWT's) tenant was removed`
 * (`whose`: "its").
 */
export function keyEndWords(
  end: WorkerKeyEnd,
  credential: WorkerIdentity["credential"],
  whose = "its",
): string {
  if (credential === "jwt")
    return end === "tenant_removed"
      ? `${whose} token's (JWT's) tenant was removed`
      : `${whose} token (JWT) ${end}`;
  if (end === "tenant_removed") return `${whose} key's tenant was removed`;
  return end === "expired" ? `${whose} key expired (${KEY_EXPIRY})` : `${whose} key was revoked`;
}

/**
 * How a worker left: `planned`, its own close (1000) or the gateway's ending it as one; `stopping`,
 * the gateway's stop; `keyEnded`, the gateway's ending it because its credential was revoked or
 * expired or its tenant removed, in words (`keyEndWords`).
 */
export interface Departure {
  readonly reason: string;
  readonly planned: boolean;
  readonly stopping: boolean;
  readonly keyEnded?: string;
}

/** What the gateway says of a worker it disconnected because its credential ended (`why`: `keyEndWords`), before or after its register. */
export const keyEndedLine = (why: string) => `worker disconnected: ${why}`;

/**
 * Logs a worker's leaving in the words of how it went, and tells whether it left drained (the
 * `worker.lost` event's `drained`): the gateway's stop and a planned close are info lines, a
 * planned close with requests still open (a drain whose deadline passed) cut them and is a
 * warning, a key revoked or expired is a warning of its own (never a worker lost), anything else
 * is a worker lost.
 */
export function logDeparture(log: WorkerLog, worker: RegisteredWorker, how: Departure): boolean {
  const { reason, planned } = how;
  const cut = planned ? worker.inFlight : 0;
  const named = { worker: worker.name, id: worker.id };
  // Closed by the gateway's own stop: expected, and every connected worker says the same.
  if (how.stopping) log("info", "worker disconnected: the gateway is stopping", named);
  else if (how.keyEnded)
    log("warn", keyEndedLine(how.keyEnded), {
      ...named,
      ...(worker.inFlight > 0 ? { in_flight: worker.inFlight } : {}),
    });
  else if (cut > 0)
    log("warn", "worker disconnected with requests in flight: they were cut", {
      ...named,
      reason,
      in_flight: cut,
    });
  else if (planned) log("info", "worker disconnected", { ...named, reason });
  else log("warn", "worker lost", { ...named, reason });
  return planned && worker.draining && cut === 0;
}
