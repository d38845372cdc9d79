import { createHash, scrypt } from "node:crypto";
import { z } from "zod";
import { type Principal, roleSchema } from "../../auth/principal.ts";
import type { JwtConfig } from "../../config/jwt-config.ts";

/**
 * What admitted the JWT a web UI session was signed in with, kept with the session (never the
 * token): the `auth.jwt` it was verified and mapped under, as a fingerprint (`trust`); the role it
 * was given; and for a JWKS, the thumbprint of the issuer's key that verified it (`key`). The
 * session ends as soon as the current `auth.jwt` would no longer admit such a token as such: the
 * section removed; any setting that verifies a token or turns it into rights changed (all but its
 * timings and `allowed_roles`); the role left out of `allowed_roles`; the key no longer in the
 * issuer's key set.
 */
export const jwtAdmissionSchema = z.object({
  trust: z.string(),
  role: roleSchema,
  key: z.string().optional(),
});
export type JwtAdmission = z.infer<typeof jwtAdmissionSchema>;

/**
 * Whether the issuer's key set in hand still publishes the key with this thumbprint (a fetch only
 * as a token's verification makes one, never one per request).
 */
export type JwksKeyHeld = (thumbprint: string) => Promise<boolean>;

/**
 * The settings a fingerprint covers, as text: all of `auth.jwt` but the timings (when a token is
 * checked or its keys fetched, never what it admits), `allowed_roles` (checked against the session's
 * own role: widening it ends no one) and the secret, which only scrypt ever reads (`trustOf`).
 */
function settingsOf(config: JwtConfig): string {
  const {
    clock_tolerance: _tolerance,
    jwks_cache_max_age: _maxAge,
    jwks_cooldown: _cooldown,
    jwks_timeout: _timeout,
    allowed_roles: _roles,
    secret: _secret,
    ...settings
  } = config;
  return JSON.stringify(settings);
}

/**
 * scrypt's cost for an HMAC secret's fingerprint (~30 ms and 16 MiB, once per config version):
 * the stored fingerprint is no fast test of a guessed secret (a bare SHA-256 was).
 */
const SECRET_KDF = { N: 2 ** 14, r: 8, p: 1, maxmem: 32 * 1024 * 1024 } as const;

/** Worked out once per config version's `auth.jwt`, not once per request. */
const trustOfConfig = new WeakMap<JwtConfig, Promise<string>>();
/** The last fingerprint worked out (in memory only): a reload that leaves `auth.jwt` alone reuses it. */
let last: { settings: string; secret: string | undefined; trust: Promise<string> } | undefined;

/**
 * The fingerprint of what admits a token under `config`: the SHA-256 of its settings; with an
 * HMAC secret, the secret's scrypt salted with that hash. Stored with the session: neither holds a
 * secret, nor tests a guess of one fast.
 */
function trustOf(config: JwtConfig): Promise<string> {
  let trust = trustOfConfig.get(config);
  if (trust !== undefined) return trust;
  const settings = settingsOf(config);
  const secret = config.secret;
  if (last?.settings === settings && last.secret === secret) trust = last.trust;
  else {
    const digest = createHash("sha256").update(settings).digest();
    trust = secret === undefined ? Promise.resolve(digest.toString("hex")) : derived(secret, digest);
    last = { settings, secret, trust };
    forgetIfRejected(config, trust);
  }
  trustOfConfig.set(config, trust);
  return trust;
}

/**
 * A fingerprint that could not be worked out (scrypt refused its memory) is not kept: the next
 * sign-in or session check works it out again, rather than each failing for the whole config version.
 */
function forgetIfRejected(config: JwtConfig, trust: Promise<string>): void {
  trust.catch(() => {
    if (trustOfConfig.get(config) === trust) trustOfConfig.delete(config);
    if (last?.trust === trust) last = undefined;
  });
}

const derived = (secret: string, salt: Buffer) =>
  new Promise<string>((resolve, reject) =>
    scrypt(secret, salt, 32, SECRET_KDF, (error, key) =>
      error ? reject(error) : resolve(key.toString("hex")),
    ),
  );

/** What admitted a token (`principal`, just verified) under `config`, the version that verified it. */
export const jwtAdmissionOf = async (config: JwtConfig, principal: Principal): Promise<JwtAdmission> => ({
  trust: await trustOf(config),
  role: principal.role,
  ...(principal.jwtKey !== undefined ? { key: principal.jwtKey } : {}),
});

/** Whether the current `auth.jwt`, and the issuer's key set in hand, still admit what a session's token was admitted as. */
export async function jwtStillAdmits(
  config: JwtConfig | undefined,
  admission: JwtAdmission,
  keyHeld: JwksKeyHeld,
): Promise<boolean> {
  if (config === undefined || !config.allowed_roles.includes(admission.role)) return false;
  if ((await trustOf(config)) !== admission.trust) return false;
  if (config.jwks_url === undefined) return true;
  // A session from before its key was kept has none to check: it ends.
  return admission.key !== undefined && (await keyHeld(admission.key));
}
