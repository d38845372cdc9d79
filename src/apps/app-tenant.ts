import type { Principal } from "../auth/principal.ts";
import type { AppConfig } from "../config/app-config.ts";
import { forbidden } from "../core/gateway-error.ts";

/** What a front door knows of the app it serves (`apps:`): its name for the record, its tenant. */
export type AppScope = Pick<AppConfig, "name" | "tenant">;

/**
 * Throws 403 when the app serves only another tenant than the caller's. A step after the caller is
 * recorded, so the refusal's row says who was refused; its message names no tenant, neither the
 * app's nor the caller's: any other tenant's credential reads it.
 */
export function requireAppTenant(app: AppScope, principal: Principal): void {
  if (app.tenant !== undefined && principal.tenant !== app.tenant)
    throw forbidden("this app does not serve your credential's tenant");
}
