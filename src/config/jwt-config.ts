import { z } from "zod";
import { roleSchema } from "../storage/key-record.ts";
import { configUrl } from "./config-url.ts";
import { duration, durationWithFloor, num } from "./config-values.ts";
import { httpsOrLoopback } from "./https-or-loopback.ts";
import { publicKeyProblems } from "./jwt-public-key.ts";

const HMAC_ALGS = ["HS256", "HS384", "HS512"] as const;
/** The public-key JWS algorithms jose verifies: what an issuer's JWKS may vouch with (RFC 7518, RFC 8037, RFC 9864). */
export const ASYMMETRIC_ALGS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;
const isHmac = (alg: string) => alg.startsWith("HS");

/**
 * The least `jwks_cache_max_age` and `jwks_cooldown`: the only bounds on how often tokens make the
 * gateway fetch the JWKS (one fetch at a time bounds how many run, not how often), so the issuer is
 * asked at most about once a second a node by whoever sends tokens.
 */
const JWKS_REFETCH_FLOOR_MS = 1000;

/**
 * `auth.jwt` in config. Exactly one key source: `jwks_url`, `public_key` (PEM, SPKI or X.509)
 * or `secret` (HMAC). The algorithm allow-list must match the key type, which is what rules
 * out HS/RS confusion before any token is seen.
 */
export const jwtConfigSchema = z
  .strictObject({
    jwks_url: configUrl()
      .refine(httpsOrLoopback, {
        message: "jwks_url must be https (plain http only on loopback)",
      })
      .optional(),
    public_key: z.string().includes("-----BEGIN").optional(),
    secret: z.string().min(32, "an HMAC secret needs at least 32 characters").optional(),
    issuer: z.string().min(1),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    algorithms: z.array(z.enum([...HMAC_ALGS, ...ASYMMETRIC_ALGS])).min(1),
    clock_tolerance: duration("30s"),
    /**
     * How long a fetched JWKS is fresh. After it the next request starts a refetch it does not wait
     * for; a refetch that fails leaves the keys in hand serving (auth/jwks-keys.ts). At least 1s: any
     * token, a forged one too, starts that refetch before its signature is checked.
     */
    jwks_cache_max_age: durationWithFloor("10m").pipe(
      z
        .number()
        .min(
          JWKS_REFETCH_FLOOR_MS,
          "at least 1s: a set older than it is refetched behind the next request, a forged token's too; below it any flood of tokens refetches the JWKS back to back",
        ),
    ),
    /**
     * Minimum gap between refetches triggered by an unknown `kid` (defeats kid flooding), and the
     * longest wait before a failed fetch is tried again (1 s, doubling up to it). At least 1s, as
     * one fetch at a time bounds how many run, not how often.
     */
    jwks_cooldown: durationWithFloor("30s").pipe(
      z
        .number()
        .min(
          JWKS_REFETCH_FLOOR_MS,
          "at least 1s: the least time between JWKS fetches for a kid the set lacks; below it a flood of tokens naming unknown kids refetches the JWKS back to back (no guard against kid floods)",
        ),
    ),
    jwks_timeout: duration(
      "5s",
      'every JWKS fetch would be cut off, and no JWT let in; 0 is not "no bound" here',
    ),
    /** Claim names (dotted paths allowed, e.g. `realm_access.roles`) mapped onto the principal. */
    claims: z
      .strictObject({
        name: z.string().default("sub"),
        tenant: z.string().optional(),
        role: z.string().optional(),
        models: z.string().optional(),
      })
      .default({ name: "sub" }),
    /**
     * Accepted `typ` header values (compared without case and without an `application/` prefix).
     * A token of another type (an ID token's `logout+jwt`, a `dpop+jwt` proof) or without `typ`
     * is refused, so a token minted for something else is never taken as an access token.
     */
    typ: z.array(z.string().min(1)).min(1).default(["JWT", "at+jwt"]),
    default_role: roleSchema.default("user"),
    /**
     * A token without the tenant claim is of this tenant; an empty one is refused, as the claim is,
     * and so is one holding `:` or `%`, as a configured tenant's name never does: a caller's id
     * writes them `%3A` and `%25` (auth/caller-id.ts), so every claimless caller's id would differ
     * from the one its spend, limits and stored responses were kept under before that escape, and
     * that old id could be another caller's.
     */
    default_tenant: z
      .string()
      .min(1, "a tenant name, not empty")
      .refine((tenant) => !/[:%]/.test(tenant), {
        message:
          "no ':' or '%' (callers' ids, jwt:<tenant>:<name>, write them %3A and %25): a name such as corp-eu",
      })
      .default("default"),
    default_models: z.array(z.string()).default(["*"]),
    /**
     * Roles a token may carry. `admin` is left out by default: a token whose role claim says
     * `admin` is rejected unless the operator lists `admin` here on purpose.
     */
    allowed_roles: z.array(roleSchema).min(1).default(["user", "worker"]),
    /** Limits applied to every JWT subject (keys carry their own). */
    limits: z
      .strictObject({
        rpm: num(z.number().int().positive()).optional(),
        tpm: num(z.number().int().positive()).optional(),
        budget_usd: num(z.number().positive()).optional(),
      })
      .default({}),
  })
  .superRefine((config, ctx) => {
    const sources = [config.jwks_url, config.public_key, config.secret].filter((s) => s !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({ code: "custom", message: "set exactly one of jwks_url, public_key, secret" });
    }
    const wantsHmac = config.secret !== undefined;
    for (const [i, alg] of config.algorithms.entries()) {
      if (isHmac(alg) !== wantsHmac) {
        ctx.addIssue({
          code: "custom",
          path: ["algorithms", i],
          message: wantsHmac
            ? `${alg} needs a public key or jwks_url, not a secret`
            : `${alg} needs a secret; HMAC algorithms are not allowed with a public key`,
        });
      }
    }
    if (config.public_key !== undefined && !wantsHmac)
      for (const problem of publicKeyProblems(config.public_key, config.algorithms))
        ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
    if (!config.allowed_roles.includes(config.default_role)) {
      ctx.addIssue({
        code: "custom",
        path: ["default_role"],
        message: "default_role must be in allowed_roles",
      });
    }
  });

export type JwtConfig = z.infer<typeof jwtConfigSchema>;
export type JwtConfigInput = z.input<typeof jwtConfigSchema>;
