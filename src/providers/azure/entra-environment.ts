import type { EntraCredentials } from "./entra-token.ts";

/** Entra ID client credentials from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, when all are set. */
export function entraFromEnvironment(env: Record<string, string | undefined>): EntraCredentials | undefined {
  if (!env.AZURE_TENANT_ID || !env.AZURE_CLIENT_ID || !env.AZURE_CLIENT_SECRET) return undefined;
  return {
    tenant_id: env.AZURE_TENANT_ID,
    client_id: env.AZURE_CLIENT_ID,
    client_secret: env.AZURE_CLIENT_SECRET,
    authority_host: env.AZURE_AUTHORITY_HOST,
  };
}
