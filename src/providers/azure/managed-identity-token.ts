import { z } from "zod";
import type { ReadToken, TokenRequest } from "../credentials/fetch-token.ts";

type Env = Record<string, string | undefined>;

/** Azure IMDS: where a VM's, a scale set's or an AKS node's managed identity gets its tokens. */
const IMDS_HOST = "http://169.254.169.254";
const IMDS_PATH = "/metadata/identity/oauth2/token";

/** A managed identity's endpoint answers on the host: a few seconds, not a token endpoint's thirty. */
const TIMEOUT_MS = 10_000;

/**
 * The request for a managed identity's token for `resource`, as Azure Identity's
 * ManagedIdentityCredential sends it. App Service, Functions and Container Apps give the endpoint
 * and its secret (IDENTITY_ENDPOINT, IDENTITY_HEADER → `X-IDENTITY-HEADER`, api-version
 * 2019-08-01); elsewhere Azure IMDS (api-version 2018-02-01, `Metadata: true`), at
 * AZURE_POD_IDENTITY_AUTHORITY_HOST when that is set (Azure Identity's own override: AAD Pod
 * Identity's node agent, a test's fake). `clientId`: a user-assigned identity's; none asks for the
 * system-assigned one. A string: why no request can be made, naming the variable at fault.
 */
export function managedIdentityRequest(
  resource: string,
  clientId: string | undefined,
  env: Env,
): TokenRequest | string {
  const appService = env.IDENTITY_ENDPOINT && env.IDENTITY_HEADER ? env.IDENTITY_HEADER : undefined;
  // Service Fabric sets these two and its cluster's certificate thumbprint: its endpoint wants
  // another api-version and a TLS connection pinned to that certificate, which Bun's fetch cannot.
  if (appService && env.IDENTITY_SERVER_THUMBPRINT)
    return "Service Fabric managed identity is not supported (IDENTITY_SERVER_THUMBPRINT is set); use an app registration's client secret (entra in config, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)";
  const variable = appService ? "IDENTITY_ENDPOINT" : "AZURE_POD_IDENTITY_AUTHORITY_HOST";
  let url: URL;
  try {
    url = appService
      ? new URL(env.IDENTITY_ENDPOINT ?? "")
      : new URL(IMDS_PATH, env.AZURE_POD_IDENTITY_AUTHORITY_HOST ?? IMDS_HOST);
  } catch {
    return `${variable} is no URL`;
  }
  url.searchParams.set("api-version", appService ? "2019-08-01" : "2018-02-01");
  url.searchParams.set("resource", resource);
  if (clientId) url.searchParams.set("client_id", clientId);
  const headers: Record<string, string> = { accept: "application/json" };
  if (appService) headers["x-identity-header"] = appService;
  else headers.metadata = "true";
  return {
    url: url.toString(),
    init: { method: "GET", headers },
    what: appService
      ? "the App Service identity endpoint (IDENTITY_ENDPOINT)"
      : "Azure IMDS (managed identity)",
    timeoutMs: TIMEOUT_MS,
    // IMDS is link-local, App Service's endpoint on the host: straight to them, never through a proxy.
    direct: true,
  };
}

/** A managed identity's token is asked for a resource, not a scope: the scope without its `/.default`. */
export const resourceOf = (scope: string): string => scope.replace(/\/\.default$/, "");

const seconds = z.union([z.number(), z.string()]).optional();
const managedReply = z.looseObject({
  access_token: z.string().min(1),
  expires_on: seconds,
  expires_in: seconds,
});

/**
 * A managed identity endpoint's answer: `access_token` and `expires_on`, epoch seconds as a string
 * (IMDS and App Service 2019-08-01 alike) or, as Azure Identity also reads it, a date; else
 * `expires_in`. An answer with no expiry is refused rather than guessed at.
 */
export const readManagedIdentityToken: ReadToken = (reply, now) => {
  const parsed = managedReply.safeParse(reply);
  if (!parsed.success) return "no access_token";
  const { access_token, expires_on, expires_in } = parsed.data;
  const expiresAt = epochMs(expires_on) ?? inMs(expires_in, now);
  return expiresAt === undefined ? "no expires_on" : { value: access_token, expiresAt };
};

function epochMs(value: string | number | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const asSeconds = Number(value);
  if (Number.isFinite(asSeconds)) return asSeconds * 1000;
  const asDate = Date.parse(String(value));
  return Number.isFinite(asDate) ? asDate : undefined;
}

function inMs(value: string | number | undefined, now: number): number | undefined {
  if (value === undefined || value === "") return undefined;
  const asSeconds = Number(value);
  return Number.isFinite(asSeconds) ? now + asSeconds * 1000 : undefined;
}
