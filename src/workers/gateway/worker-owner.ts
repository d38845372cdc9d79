import type { WorkerIdentity } from "./admit-worker.ts";

/**
 * Who owns the worker names a credential registers: its kind, tenant and name, which a key's
 * rotation keeps (the rotated key has a new id under the same name and tenant, and the worker
 * restarted with it must take its name back). So the keys of one name in one tenant share their
 * worker names (only that tenant's admins, or an admin outside every tenant, can mint them), as
 * do the JWTs of one subject in one tenant; a key and a JWT never do, nor two tenants.
 */
export const workerOwner = (identity: Pick<WorkerIdentity, "credential" | "tenant" | "name">): string =>
  // As JSON: a JWT's tenant claim and a key's name may hold any character, a separator included.
  JSON.stringify([identity.credential, identity.tenant, identity.name]);
