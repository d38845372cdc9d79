import type { EntraCredentials } from "./entra-token.ts";

/**
 * The Entra identity the environment gives, in Azure Identity's DefaultAzureCredential order: a
 * client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET); else AKS Workload
 * Identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE, which its webhook sets);
 * else the managed identity App Service, Functions and Container Apps announce (IDENTITY_ENDPOINT
 * and IDENTITY_HEADER), user-assigned when AZURE_CLIENT_ID names one; else, as
 * DefaultAzureCredential's ManagedIdentityCredential ends it, Azure IMDS (user-assigned likewise),
 * which no variable announces: `unannounced`, so that off Azure a call fails within a second,
 * saying all that was looked for (entra-token.ts).
 */
export function entraFromEnvironment(env: Record<string, string | undefined>): EntraCredentials {
  const { AZURE_TENANT_ID: tenant_id, AZURE_CLIENT_ID: client_id } = env;
  const authority_host = env.AZURE_AUTHORITY_HOST || undefined;
  if (tenant_id && client_id && env.AZURE_CLIENT_SECRET)
    return { tenant_id, client_id, client_secret: env.AZURE_CLIENT_SECRET, authority_host };
  if (tenant_id && client_id && env.AZURE_FEDERATED_TOKEN_FILE)
    return { tenant_id, client_id, federated_token_file: env.AZURE_FEDERATED_TOKEN_FILE, authority_host };
  if (env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER)
    return { managed_identity: client_id ? { client_id } : true };
  return { managed_identity: client_id ? { client_id } : true, unannounced: true };
}

/** What the environment would need, for a warning that it has none of it. */
export const ENTRA_ENVIRONMENT =
  "AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or IDENTITY_ENDPOINT and IDENTITY_HEADER";
