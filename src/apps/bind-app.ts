import type { Authenticator } from "../auth/authenticate.ts";
import type { AppConfig } from "../config/app-config.ts";
import { GatewayError } from "../core/gateway-error.ts";

/**
 * The authenticator of one app's front door: the caller as usual, narrowed to the app's models
 * and refused (403) when the app belongs to another tenant.
 */
export function bindApp(authenticate: Authenticator, app: AppConfig): Authenticator {
  return async (headers) => {
    const principal = await authenticate(headers);
    if (app.tenant !== undefined && principal.tenant !== app.tenant)
      throw new GatewayError({
        status: 403,
        code: "forbidden",
        message: `the app "${app.name}" serves only tenant "${app.tenant}"`,
      });
    if (app.models.includes("*") && !app.shadow) return principal;
    return {
      ...principal,
      ...(app.models.includes("*") ? {} : { appModels: app.models }),
      ...(app.shadow ? { appShadow: app.shadow } : {}),
    };
  };
}
