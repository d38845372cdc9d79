import { z } from "zod";

/** Google's STS, where an external_account file names no `token_url` (google-auth-library's default). */
export const STS_TOKEN_URL = "https://sts.googleapis.com/v1/token";

/** Where the subject token is read: a file (a projected Kubernetes token) or a URL (Azure IMDS, an OIDC endpoint). */
const credentialSource = z.looseObject({
  file: z.string().min(1).optional(),
  url: z.url().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  format: z
    .looseObject({
      type: z.enum(["text", "json"]).default("text"),
      subject_token_field_name: z.string().min(1).optional(),
    })
    .optional(),
});

/**
 * A workload identity federation file (`type: external_account`), the fields google-auth-library's
 * BaseExternalAccountClient and IdentityPoolClient read (baseexternalclient.ts, identitypoolclient.ts).
 */
export const externalAccount = z.looseObject({
  type: z.literal("external_account"),
  audience: z.string().min(1),
  subject_token_type: z.string().min(1),
  token_url: z.url().default(STS_TOKEN_URL),
  service_account_impersonation_url: z.url().optional(),
  service_account_impersonation: z
    .looseObject({ token_lifetime_seconds: z.number().int().positive().optional() })
    .optional(),
  /** An OAuth client the exchange authenticates as (Basic), for workforce pools. */
  client_id: z.string().min(1).optional(),
  client_secret: z.string().optional(),
  /** A workforce pool's project, sent in the exchange's `options` when no client authenticates it. */
  workforce_pool_user_project: z.string().min(1).optional(),
  quota_project_id: z.string().min(1).optional(),
  credential_source: credentialSource,
});
export type ExternalAccount = z.infer<typeof externalAccount>;
export type CredentialSource = ExternalAccount["credential_source"];

/** The sources google-auth-library takes that the gateway does not, and what to do instead. */
const NOT_TAKEN: readonly (readonly [string, string, string])[] = [
  ["environment_id", "AWS", "; on AWS use a service-account key"],
  ["executable", "an executable", "; have the program write the token to a file and name that file"],
  ["certificate", "an X.509 certificate", ""],
];

/**
 * The external_account credentials in `json`, or why the gateway cannot use them (`label` leads the
 * words): a file or url `credential_source` is taken; AWS's (`environment_id: aws1`), an
 * executable's and a certificate's are refused by name.
 */
export function parseExternalAccount(json: object, label: string): ExternalAccount | string {
  const source = "credential_source" in json ? json.credential_source : undefined;
  if (typeof source === "object" && source !== null)
    for (const [field, what, instead] of NOT_TAKEN)
      if (field in source) {
        const value = (source as Record<string, unknown>)[field];
        const named = typeof value === "string" ? `${field} ${value}` : field;
        return `${label} is an external_account sourced from ${what} (credential_source.${named}), which is not supported: only a file or url credential_source is${instead}`;
      }
  const parsed = externalAccount.safeParse(json);
  if (!parsed.success)
    return `${label} is no external_account credential (it needs audience, subject_token_type and credential_source)`;
  const { file, url, format } = parsed.data.credential_source;
  if (file && url)
    return `${label} is an external_account whose credential_source has both a file and a url: it needs one`;
  if (!file && !url)
    return `${label} is an external_account whose credential_source has neither a file nor a url`;
  if (format?.type === "json" && !format.subject_token_field_name)
    return `${label} is an external_account whose credential_source.format json names no subject_token_field_name`;
  return parsed.data;
}
