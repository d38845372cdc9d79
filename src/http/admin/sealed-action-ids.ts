import type { CursorSeal } from "../../core/cursor-seal.ts";
import { badRequest } from "../../core/gateway-error.ts";
import type { StoredAdminAction } from "../../storage/storage.ts";
import type { ActionsPage } from "./actions-page.ts";

/** A sealed id holds the action's row id, 8 bytes. */
const ID = 8;

/** An action as a reader held to its tenant is shown it: its id sealed. */
export type SealedAction = Omit<StoredAdminAction, "id"> & { readonly id: string };

/** A page of actions, ids and `nextBefore` sealed. */
export interface SealedActionsPage {
  readonly actions: SealedAction[];
  readonly nextBefore: string | null;
}

/**
 * The ids of `/admin/api/actions` to a reader held to its tenant (an admin in a tenant): sealed
 * (core/cursor-seal.ts, as its audit cursors), at one length whatever the number. The id counts
 * every tenant's admin actions, so a reader that read it from its own actions read from the gaps
 * how many changes were made to other tenants' keys in between; and only a sealed id is taken back
 * as `before`, since one of its choosing would let it learn its actions' ids by bisection.
 */
export function sealedActionIds(seal: CursorSeal) {
  const sealed = (id: number): string => {
    const bytes = Buffer.alloc(ID);
    bytes.writeBigInt64BE(BigInt(id));
    return seal.seal(bytes);
  };
  return {
    page: (page: ActionsPage): SealedActionsPage => ({
      actions: page.actions.map((action) => ({ ...action, id: sealed(action.id) })),
      nextBefore: page.nextBefore === null ? null : sealed(page.nextBefore),
    }),
    /** The row id a sealed id names; a 400 naming `before` when it is none of this seal's. */
    before(text: string): number {
      const bytes = seal.open(text);
      if (bytes === undefined || bytes.length !== ID)
        throw badRequest(
          "before: not an action's id as this list gave it: give a page's nextBefore, or an action's id, as read, or leave it out to start from the newest",
          "before",
        );
      return Number(Buffer.from(bytes).readBigInt64BE());
    },
  };
}
