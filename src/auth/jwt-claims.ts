import type { JWTPayload } from "jose";
import type { JwtConfig } from "../config/jwt-config.ts";
import { type Role, roleSchema } from "../storage/key-record.ts";
import type { Principal } from "./principal.ts";

/** Why a verified token still cannot become a principal (never echoed to the client). */
export class ClaimError extends Error {
  override readonly name = "ClaimError";
}

const ROLE_PREFERENCE: readonly Role[] = ["admin", "user", "worker"];

/**
 * Maps verified claims onto a principal as the config says. `tenants` are the configured tenants'
 * names (`tenants:`); when there are any, the token's tenant must be one of them. `jwtKey`: the
 * thumbprint of the JWKS key that verified the token (`Principal.jwtKey`), set as it is built.
 */
export function principalFromClaims(
  payload: JWTPayload,
  config: JwtConfig,
  tenants: readonly string[] = [],
  jwtKey?: string,
): Principal {
  const name = claim(payload, config.claims.name);
  if (typeof name !== "string" || name === "") throw new ClaimError(`missing ${config.claims.name} claim`);
  const limits: Principal["limits"] = {};
  if (config.limits.rpm !== undefined) limits.rpm = config.limits.rpm;
  if (config.limits.tpm !== undefined) limits.tpm = config.limits.tpm;
  if (config.limits.budget_usd !== undefined) limits.budgetUsd = config.limits.budget_usd;
  const principal: Principal = {
    ...expiryOf(payload, config),
    keyId: null,
    name,
    tenant: tenantOf(payload, config, tenants),
    role: roleOf(payload, config),
    models: modelsOf(payload, config),
    limits,
    via: "jwt",
  };
  if (jwtKey !== undefined) principal.jwtKey = jwtKey;
  return principal;
}

/**
 * When the token stops being accepted (its `exp`, which jose requires, plus the clock tolerance):
 * what it opened ends then, as a key's does at its expiry — a worker connection, a stream, an
 * admin UI session.
 */
function expiryOf(payload: JWTPayload, config: JwtConfig): Pick<Principal, "expiresAt"> {
  if (payload.exp === undefined) return {};
  return { expiresAt: payload.exp * 1000 + config.clock_tolerance };
}

/**
 * The tenant claim, or `default_tenant` when the token has none. A claim of another shape (a
 * list, a number, an empty string) is refused, not read as no claim: that would put the caller
 * outside every tenant, where a worker serves every tenant and an admin manages them all. Once
 * `tenants:` lists any, a tenant must be one of them, as a key's must (no free labels, and not
 * `default` by claim: outside every tenant is the operator's `default_tenant`, never the token's).
 */
function tenantOf(payload: JWTPayload, config: JwtConfig, tenants: readonly string[]): string {
  const path = config.claims.tenant;
  const raw = path ? claim(payload, path) : undefined;
  if (raw === undefined) return config.default_tenant;
  if (typeof raw !== "string" || raw === "") throw new ClaimError(`${path} claim is not a tenant name`);
  if (tenants.length > 0 && !tenants.includes(raw))
    throw new ClaimError(`${path} claim names no configured tenant: ${JSON.stringify(raw.slice(0, 64))}`);
  return raw;
}

function roleOf(payload: JWTPayload, config: JwtConfig): Role {
  const raw = config.claims.role ? claim(payload, config.claims.role) : undefined;
  if (raw === undefined) return config.default_role;
  const offered = (Array.isArray(raw) ? raw : [raw]).filter((r) => roleSchema.safeParse(r).success);
  // A token claiming a role the config does not allow (admin, by default) is refused, not
  // quietly downgraded: it means the IdP and the gateway disagree, which an operator must see.
  if (offered.some((r) => !config.allowed_roles.includes(r as Role))) {
    throw new ClaimError("role claim not allowed");
  }
  const role = ROLE_PREFERENCE.find((r) => offered.includes(r));
  if (!role) throw new ClaimError("role claim names no known role");
  return role;
}

function modelsOf(payload: JWTPayload, config: JwtConfig): readonly string[] {
  const raw = config.claims.models ? claim(payload, config.claims.models) : undefined;
  if (raw === undefined) return config.default_models;
  const list = typeof raw === "string" ? raw.split(/[\s,]+/) : Array.isArray(raw) ? raw : [];
  return list.filter((m): m is string => typeof m === "string" && m !== "");
}

function claim(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
