import { z } from "zod";
import { OPENAI_PRESET_NAMES } from "../providers/openai-compatible/presets.ts";
import { configUrl } from "./config-url.ts";

/**
 * Provider fields that belong to one type each (cloud credentials, presets). Spread into the
 * provider schema; `checkCloudProvider` says which type each belongs to and what a type needs.
 */
export const cloudProviderFields = {
  /** openai: a named OpenAI-compatible vendor that fills base_url, headers and quirks. */
  preset: z.enum(OPENAI_PRESET_NAMES).optional(),
  /** azure: a dated API version (`2024-10-21`; routes name deployments) or `v1`. */
  api_version: z.string().optional(),
  /**
   * azure: an Entra ID identity instead of an api_key: an app registration's `client_secret`, a
   * workload identity's `federated_token_file` (AKS), or the host's `managed_identity`.
   */
  entra: z
    .strictObject({
      tenant_id: z.string().min(1).optional(),
      client_id: z.string().min(1).optional(),
      client_secret: z.string().min(1).optional(),
      /** A service account token file Entra ID trusts (AKS Workload Identity's AZURE_FEDERATED_TOKEN_FILE). */
      federated_token_file: z.string().min(1).optional(),
      /** The host's managed identity (IMDS, App Service): `true`, or a user-assigned one's `{ client_id }`. */
      managed_identity: z
        .union([z.literal(true), z.strictObject({ client_id: z.string().min(1) })], {
          error: "true (the system-assigned identity) or { client_id } (a user-assigned one)",
        })
        .optional(),
      authority_host: configUrl({ protocol: /^https?$/ }).optional(),
      /**
       * The scope the token is asked for; by default Azure OpenAI's in the authority's cloud
       * (`https://cognitiveservices.azure.us/.default` under `login.microsoftonline.us`, `.cn` under
       * `login.chinacloudapi.cn`, else `.com`). Azure AI Foundry's, or an API proxy's app.
       */
      scope: z
        .string()
        .regex(
          /^\S+\/\.default$/,
          "a resource's /.default scope, as the client credentials flow takes (https://ai.azure.com/.default)",
        )
        .optional(),
    })
    .superRefine(checkEntra)
    .optional(),
  /** bedrock: the AWS region (`us-east-1`); else AWS_REGION, else the profile's `region` (aws-region.ts). */
  region: z.string().optional(),
  /**
   * bedrock: a profile of the shared AWS config and credentials files (`~/.aws/config`,
   * `~/.aws/credentials`, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE), before AWS_PROFILE:
   * its credentials are the provider's (aws-profile-credentials.ts).
   */
  profile: z.string().min(1).optional(),
  /** bedrock: static keys; without them the AWS SDKs' credential chain is used. */
  aws: z
    .strictObject({
      access_key_id: z.string().min(1),
      secret_access_key: z.string().min(1),
      session_token: z.string().optional(),
    })
    .optional(),
  /** vertex: the Google Cloud project id. */
  project: z.string().optional(),
  /** vertex: the location (`us-central1`, `europe-west4`, `global`). */
  location: z.string().optional(),
  /**
   * vertex: Google credentials, as a file path or inline JSON: a service-account key, or an
   * `authorized_user` ADC file. Else Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS,
   * gcloud's ADC file, the metadata server (providers/google/credentials-source.ts).
   */
  service_account: z.string().optional(),
  /**
   * vertex and bedrock: whose API the routes' models speak. Vertex: `google` (Gemini,
   * generateContent; the default) or `anthropic` (Claude, the Messages API through rawPredict).
   * Bedrock: Converse for every model (the default), or `anthropic` (Claude in Anthropic's own
   * Messages body through InvokeModel).
   */
  publisher: z.enum(["google", "anthropic"]).optional(),
};

/** Exactly one way to prove the identity, and what that way needs (entra-token.ts). */
function checkEntra(
  entra: {
    tenant_id?: string | undefined;
    client_id?: string | undefined;
    client_secret?: string | undefined;
    federated_token_file?: string | undefined;
    managed_identity?: unknown;
    authority_host?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const issue = (field: string, message: string) => ctx.addIssue({ code: "custom", path: [field], message });
  const ways = (["client_secret", "federated_token_file", "managed_identity"] as const).filter(
    (way) => entra[way] !== undefined,
  );
  if (ways.length !== 1) {
    issue(
      ways[1] ?? "client_secret",
      "give one of client_secret, federated_token_file (a workload identity) or managed_identity",
    );
    return;
  }
  if (ways[0] === "managed_identity") {
    // IMDS and App Service answer for the host's own identity: no tenant, app or authority is asked.
    for (const field of ["tenant_id", "client_id", "authority_host"] as const)
      if (entra[field] !== undefined)
        issue(
          field,
          field === "client_id"
            ? "a user-assigned managed identity's goes in managed_identity: { client_id }"
            : "not with managed_identity (a sovereign cloud's resource: give scope)",
        );
    return;
  }
  for (const field of ["tenant_id", "client_id"] as const)
    if (!entra[field]) issue(field, `required with ${ways[0]}`);
}

type CloudFields = { [K in keyof typeof cloudProviderFields]?: z.infer<(typeof cloudProviderFields)[K]> };

const OWNER: Record<keyof typeof cloudProviderFields, readonly string[]> = {
  preset: ["openai"],
  api_version: ["azure"],
  entra: ["azure"],
  region: ["bedrock"],
  aws: ["bedrock"],
  profile: ["bedrock"],
  project: ["vertex"],
  location: ["vertex"],
  service_account: ["vertex"],
  publisher: ["vertex", "bedrock"],
};

/** Type-specific rules: a field set on the wrong type, or one a type cannot do without. */
export function checkCloudProvider(
  provider: CloudFields & {
    type: string;
    base_url?: string | undefined;
    api_key?: string | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  for (const [field, types] of Object.entries(OWNER)) {
    if (provider[field as keyof CloudFields] !== undefined && !types.includes(provider.type))
      ctx.addIssue({ code: "custom", path: [field], message: `only for type ${types.join(" or ")}` });
  }
  const require = (field: string, why: string) =>
    ctx.addIssue({ code: "custom", path: [field], message: why });
  if (provider.type === "azure") {
    if (!provider.base_url) require("base_url", "required for azure (https://RESOURCE.openai.azure.com)");
    if (!provider.api_version) require("api_version", "required for azure (e.g. 2024-10-21, v1, or preview)");
    if (provider.api_key && provider.entra) require("entra", "give api_key or entra, not both");
  }
  if (provider.aws && provider.profile) require("profile", "give aws or profile, not both");
  if (provider.type === "vertex") {
    if (!provider.project) require("project", "required for vertex");
    if (!provider.location) require("location", "required for vertex (e.g. us-central1, global)");
  }
}
