import type { SealSecret } from "../core/shared-key.ts";
import { createAdminUi } from "../http/admin-ui/admin-ui.ts";
import type { Logger } from "../log/logger.ts";
import type { Storage } from "../storage/storage.ts";
import { type CredentialIssuer, tenantUnconfigured } from "../tenants/bind-tenant.ts";
import type { GatewayAuth } from "./build-auth.ts";
import type { RuntimeHolder } from "./runtime.ts";

/** The web control plane over the current config version, its sessions checked as its callers' issuer asks. */
export function buildAdminUi(parts: {
  runtime: RuntimeHolder;
  auth: GatewayAuth;
  credentialIssuer: CredentialIssuer;
  storage: Storage;
  /** `cluster.secret`, or the storage's: a single sign-on started on one node finishes on any. */
  sealSecret: SealSecret;
  logger: Logger;
}): ReturnType<typeof createAdminUi> {
  const { runtime, auth, storage } = parts;
  return createAdminUi({
    config: () => runtime.current.config.admin_ui,
    // An embedder's authenticator decides its callers itself, their tenants included (an unlisted
    // one is served, held to its tenant's name): their sessions are not re-checked.
    ...(parts.credentialIssuer === "embedder"
      ? { credentialIssuer: "embedder" as const, keyStands: auth.keyStands }
      : {
          credentialIssuer: "gateway" as const,
          jwt: {
            current: () => ({ version: runtime.current.version, config: runtime.current.config.auth.jwt }),
            keyHeld: auth.jwtKeyHeld,
          },
          tenantServed: (tenant: string) => !tenantUnconfigured(runtime.current.config, tenant),
        }),
    keys: storage.keys,
    ...(storage.adminActions ? { actions: storage.adminActions } : {}),
    ...(storage.adminSessions ? { sessions: storage.adminSessions } : {}),
    ...(parts.sealSecret !== undefined ? { sealSecret: parts.sealSecret } : {}),
    live: auth.sessions,
    logger: parts.logger,
  });
}
