import { createHash } from "node:crypto";
import { z } from "zod";
import { roleSchema } from "../../auth/principal.ts";
import type { JwtConfig } from "../../config/jwt-config.ts";

/**
 * What admitted the JWT a web UI session was signed in with, kept with the session (never the
 * token): the `auth.jwt` trust it was verified under, as a fingerprint, and the role it was given.
 * The session ends as soon as the current `auth.jwt` would no longer admit such a token: the
 * section removed, its issuer, audience, algorithms or verifying key (secret, public key, JWKS
 * URL) changed, or the role left out of `allowed_roles`.
 */
export const jwtAdmissionSchema = z.object({ trust: z.string(), role: roleSchema });
export type JwtAdmission = z.infer<typeof jwtAdmissionSchema>;

/** Hashed once per config version's `auth.jwt`, not once per request. */
const trustOfConfig = new WeakMap<JwtConfig, string>();

/** The fingerprint of what verifies a token under `config`: SHA-256, so no secret is kept. */
function trustOf(config: JwtConfig): string {
  let trust = trustOfConfig.get(config);
  if (trust === undefined) {
    const { issuer, audience, algorithms, jwks_url, public_key, secret } = config;
    const material = JSON.stringify([issuer, audience, algorithms, jwks_url, public_key, secret]);
    trust = createHash("sha256").update(material).digest("hex");
    trustOfConfig.set(config, trust);
  }
  return trust;
}

/** What admitted a token just verified under `config` with this role. */
export const jwtAdmissionOf = (config: JwtConfig, role: JwtAdmission["role"]): JwtAdmission => ({
  trust: trustOf(config),
  role,
});

/** Whether the current `auth.jwt` still admits what a session's token was admitted as. */
export const jwtStillAdmits = (config: JwtConfig | undefined, admission: JwtAdmission): boolean =>
  config !== undefined &&
  trustOf(config) === admission.trust &&
  config.allowed_roles.includes(admission.role);
