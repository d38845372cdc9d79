import { z } from "zod";
import { tenantFilter } from "../core/tenant-filter.ts";
import { FRONT_DOORS } from "./audit-record.ts";
import { parseStatusFilter, STATUS_FILTER_HINT } from "./status-filter.ts";

/** An ISO 8601 date-time that says where it stands: `Z` or an offset (`+09:00`). */
const zonedTime = z.iso.datetime({ offset: true });

/**
 * Epoch milliseconds, as a number, a string of digits or an ISO 8601 date-time with `Z` or an
 * offset (the audit and shadow queries' bounds). A time without one is refused, never read in the
 * reading process's own zone: the same query would answer other rows on a node (or a CLI) set to
 * another `TZ`, as `expires_at` of a key is refused alike.
 */
export const instant = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms =
    typeof value === "number"
      ? value
      : /^\d+$/.test(value)
        ? Number(value)
        : zonedTime.safeParse(value).success
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({
      code: "custom",
      message: "expected epoch milliseconds or an ISO 8601 time with Z or an offset (2025-01-31T12:00:00Z)",
    });
    return z.NEVER;
  }
  return ms;
});

const name = z.string().min(1).max(512);

/**
 * What to read from the audit log; shared by `/admin/api/audit` (query string) and
 * `mindgw audit query|export` (flags), so both accept the same spellings.
 */
export const auditFilterSchema = z.strictObject({
  /** Inclusive lower bound on the arrival time. */
  from: instant.optional(),
  /** Exclusive upper bound on the arrival time. */
  to: instant.optional(),
  /**
   * A caller's id or name: a key's id, a JWT caller's `jwt:<tenant>:<name>` (that caller alone:
   * a value spelt as an id never matches a name, audit-query-key.ts), or a name (every caller of
   * that name, JWT subjects included).
   */
  key: name.optional(),
  model: name.optional(),
  /**
   * Only callers of this tenant; empty is absent (core/tenant-filter.ts). A reader held to one
   * tenant is read its own, and refused another (tenants/read-scope.ts).
   */
  tenant: tenantFilter,
  /**
   * `provider:<name>`, `worker:<name>` (the worker on every node: forwarded rows, `worker:<name>@<node>`,
   * included) or `worker:<name>@<node>` (only those forwarded through that node): audit-query-route.ts.
   */
  route: name.optional(),
  /** A status class (`4xx`, any case) or an exact status (`429`): status-filter.ts. */
  status: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const status = parseStatusFilter(String(value));
      if (status === undefined) {
        ctx.addIssue({ code: "custom", message: `"${value}": ${STATUS_FILTER_HINT}` });
        return z.NEVER;
      }
      return status;
    })
    .optional(),
  /** Only requests through this app (`apps:`). */
  app: name.optional(),
  /**
   * Leave out the rows of this front door: the web UI's Requests view leaves out `admin` (its own
   * polling, and every admin call) unless asked to show it.
   */
  exclude_front_door: z.enum(FRONT_DOORS).optional(),
  /** Newest first unless asked; `mindgw audit export` asks for oldest first. */
  order: z.enum(["asc", "desc"]).default("desc"),
  /** Include stored bodies (only present with `audit.bodies: true`). */
  bodies: z
    .union([z.boolean(), z.enum(["true", "false"])])
    .transform((value) => value === true || value === "true")
    .default(false),
});

export const auditQuerySchema = auditFilterSchema.extend({
  /** The `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export type AuditFilter = z.infer<typeof auditFilterSchema>;
export type AuditQuery = z.infer<typeof auditQuerySchema>;
