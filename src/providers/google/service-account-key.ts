import { z } from "zod";

/** Google's token endpoint, where a key file or an ADC file does not name its own `token_uri`. */
export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

/** What the gateway's tokens are asked for: Vertex AI takes cloud-platform, as Google's libraries ask. */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** The fields of a Google service-account key file (JSON) that signing needs. */
export const serviceAccountKey = z.looseObject({
  client_email: z.string(),
  private_key: z.string(),
  private_key_id: z.string().optional(),
  token_uri: z.string().default(GOOGLE_TOKEN_URI),
  quota_project_id: z.string().min(1).optional(),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKey>;

/**
 * A user's refresh token, as `gcloud auth application-default login` writes it
 * (`type: authorized_user`). `token_uri` is not in gcloud's file; Google's Python library reads it
 * when present, as here (a test's loopback endpoint, a private access point).
 */
export const authorizedUser = z.looseObject({
  type: z.literal("authorized_user"),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  refresh_token: z.string().min(1),
  token_uri: z.string().default(GOOGLE_TOKEN_URI),
  /**
   * The project Google bills and checks quota against for this user's calls (`gcloud auth
   * application-default set-quota-project`), sent as `x-goog-user-project`: without it, calls go
   * against gcloud's own OAuth client's project and are refused.
   */
  quota_project_id: z.string().min(1).optional(),
});
export type AuthorizedUser = z.infer<typeof authorizedUser>;
