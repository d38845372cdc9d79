import { z } from "zod";
import { num } from "./config-values.ts";
import { notCatchAll } from "./metric-catch-alls.ts";
import { shadowTargetSchema } from "./shadow-target.ts";

/**
 * The tenant of a key or caller outside every configured tenant: what a key gets when no tenant
 * is given. Reserved: no configured tenant may take the name.
 */
export const DEFAULT_TENANT = "default";

/**
 * Whether a caller of `tenant` may be routed to the worker: one of its own tenant's, or of the
 * default tenant (the platform's, registered by a key outside every tenant). A tenant's worker
 * never sees another tenant's prompts. No tenant given: any worker (a metrics label, a listing).
 * A worker of no known tenant (another node's, from before workers had one) serves no tenant.
 */
export const servesTenant = (worker: { readonly tenant?: string | undefined }, tenant: string | undefined) =>
  tenant === undefined ||
  (worker.tenant !== undefined && (worker.tenant === tenant || worker.tenant === DEFAULT_TENANT));

/**
 * The longest a tenant's name may be: a key's tenant is given at most this long (`keys create
 * --tenant`, `POST /admin/api/keys`), so a configured tenant longer could never hold a key.
 */
export const MAX_TENANT_NAME = 100;

/** A spend budget that starts over each UTC day or calendar month. */
export const tenantBudgetSchema = z.strictObject({
  usd: num(z.number().positive()),
  per: z.enum(["day", "month"]).default("month"),
});

/**
 * One tenant: a group of keys (and JWT callers naming it) bound as a whole. Its models, rpm,
 * tpm and budget apply on top of each key's own, counted across all its keys together.
 */
export const tenantSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/i, "letters, digits, '.', '_' and '-' only")
    .max(
      MAX_TENANT_NAME,
      `at most ${MAX_TENANT_NAME} characters, as a key's tenant may be (keys create --tenant)`,
    )
    // Every key created without a tenant is in `default`: a tenant of that name would bind them all.
    .refine(
      (name) => name !== DEFAULT_TENANT,
      `"${DEFAULT_TENANT}" is reserved for keys outside every tenant; choose another name`,
    )
    .superRefine(notCatchAll("tenant")),
  /** Model globs every key of the tenant is confined to (a key's own list narrows it further). */
  models: z.array(z.string().min(1)).default(["*"]),
  /** Requests per minute, all keys together. */
  rpm: num(z.number().int().positive()).optional(),
  /** Tokens per minute, all keys together. */
  tpm: num(z.number().int().positive()).optional(),
  budget: tenantBudgetSchema.optional(),
  /** Shadows this tenant's requests here, in place of the model's own shadow. */
  shadow: shadowTargetSchema.optional(),
});

export const tenantsSchema = z.array(tenantSchema).default([]);

export type TenantConfig = z.infer<typeof tenantSchema>;

/**
 * The period a tenant's budget is enforced and its usage reported over: its budget's, a month for
 * a tenant without one. Its spend is totalled over both (auth/limit-scope.ts).
 */
export const usagePeriodOf = (tenant: {
  readonly budget?: { readonly per: "day" | "month" } | undefined;
}): "day" | "month" => tenant.budget?.per ?? "month";
export type TenantBudget = z.infer<typeof tenantBudgetSchema>;
