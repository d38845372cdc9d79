import type { Authenticator } from "../auth/authenticate.ts";
import type { AppConfig } from "../config/app-config.ts";

/**
 * The authenticator of one app's front door: the caller as usual, narrowed to the app's models and
 * its shadow. An app that narrows nothing keeps the authenticator as it is (a cached key's caller
 * stays in hand: auth/known-principal.ts). A caller of another tenant than the app's is refused
 * once it is recorded (app-tenant.ts), not here, where the refusal's row would name nobody.
 */
export function bindApp(authenticate: Authenticator, app: AppConfig): Authenticator {
  if (app.models.includes("*") && !app.shadow) return authenticate;
  return async (headers) => ({
    ...(await authenticate(headers)),
    ...(app.models.includes("*") ? {} : { appModels: app.models }),
    ...(app.shadow ? { appShadow: app.shadow } : {}),
  });
}
