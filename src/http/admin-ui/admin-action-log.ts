import { callerId, type Principal } from "../../auth/principal.ts";
import type { AdminActionStore } from "../../storage/storage.ts";

export interface ActionInput {
  action: string;
  target?: string | null;
  detail?: string | null;
}

export interface ActionContext {
  clientIp: string | null;
  requestId: string | null;
}

/**
 * Records one admin change (the admin-action audit). Awaited before the answer goes out, so a
 * change the caller saw succeed is on record; a failure to write fails the request (500).
 */
export function createAdminActionLog(store: AdminActionStore, now: () => number = Date.now) {
  return async (actor: Principal, context: ActionContext, input: ActionInput): Promise<void> => {
    await store.append({
      at: now(),
      actor: actor.name,
      // The id its audit rows know it by: a JWT's subject id, not its bare name claim.
      actorKeyId: callerId(actor),
      via: actor.via,
      action: input.action,
      target: input.target ?? null,
      detail: input.detail ?? null,
      clientIp: context.clientIp,
      requestId: context.requestId,
    });
  };
}

export type AdminActionLog = ReturnType<typeof createAdminActionLog>;
