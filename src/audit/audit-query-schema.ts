import { z } from "zod";
import { decimalInt, decimalIntField } from "../core/decimal-int.ts";
import { tenantFilter } from "../core/tenant-filter.ts";
import { utcDateMs, zonedDateTimeMs } from "../core/zoned-date-time.ts";
import { FRONT_DOORS } from "./audit-record.ts";
import { parseStatusFilter, statusFilterRefusal } from "./status-filter.ts";

/**
 * The longest app name the app filter (`?app=`, `audit query --app`) takes, and so the longest an
 * app's name may be in config (an app longer could never have its rows filtered).
 */
export const MAX_APP_NAME = 512;

/** The spellings a time bound takes, as a refusal and the API's document list them. */
export const INSTANT_FORMS =
  "epoch milliseconds, a date (2025-01-31: its UTC midnight), or an ISO 8601 date-time with Z or an offset (2025-01-31T12:00Z, 2025-01-31T12:00:00+09:00, 2025-01-31T21:00:00+0900 as `date +%FT%T%z` prints it)";

/**
 * A space before a date-time's offset: its `+` sent unencoded in a query string
 * (`?from=$(date +%FT%T%z)`), which decodes it as a space.
 */
const UNENCODED_PLUS = /(?<=T[\d:.]+) (?=\d{2}:?\d{2}$)/i;

/**
 * A bound's instant, or NaN. A bare date is its UTC midnight; a date-time without `Z` or an offset
 * is none: it would be read in the reading process's own zone, so the same query would answer
 * other rows on a node (or a CLI) set to another `TZ` (core/zoned-date-time.ts).
 */
function instantOf(text: string): number {
  const ms = decimalInt(text);
  if (ms !== undefined) return ms;
  const date = utcDateMs(text);
  return Number.isNaN(date) ? zonedDateTimeMs(text.replace(UNENCODED_PLUS, "+")) : date;
}

/** `instantOf`'s spellings, for the API's document (a calendar's own bounds are judged after). */
const INSTANT_PATTERN =
  "^(?:\\d+|\\d{4}-\\d{2}-\\d{2}(?:[Tt]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:[Zz]|[+ -]\\d{2}:?\\d{2}))?)$";

const ALL_DIGITS = /^\d+$/;
const TOO_MANY_MS = `epoch milliseconds past ${Number.MAX_SAFE_INTEGER} (2^53 - 1) are refused`;

/** Epoch milliseconds, from a number or any of `INSTANT_FORMS` (the audit and shadow queries' bounds). */
export const instant = z
  .union([z.number(), z.string().meta({ pattern: INSTANT_PATTERN })])
  .transform((value, ctx) => {
    // Digits too many to read exactly are epoch ms all the same: not a date-time's refusal.
    if (typeof value === "string" && ALL_DIGITS.test(value) && decimalInt(value) === undefined) {
      ctx.addIssue({ code: "custom", message: TOO_MANY_MS });
      return z.NEVER;
    }
    const ms = typeof value === "number" ? value : instantOf(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({
        code: "custom",
        message: `expected ${INSTANT_FORMS}; a time without Z or an offset is refused`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A lower bound (inclusive) and an upper one (exclusive), described for the API's document. */
export const instantBounds = (what: string) => ({
  from: instant.optional().describe(`Inclusive lower bound on ${what}: ${INSTANT_FORMS}.`),
  to: instant.optional().describe(`Exclusive upper bound on ${what}: ${INSTANT_FORMS}.`),
});

const name = z.string().min(1).max(512);

/**
 * What to read from the audit log; shared by `/admin/api/audit` (query string) and
 * `mindgw audit query|export` (flags), so both accept the same spellings.
 */
export const auditFilterSchema = z.strictObject({
  ...instantBounds("the arrival time"),
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
    // What `parseStatusFilter` takes, as the API's document says it.
    .union([
      z.number().meta({ type: "integer", minimum: 100, maximum: 599 }),
      z.string().meta({ pattern: "^(?:[1-5][xX][xX]|[1-5]\\d\\d)$" }),
    ])
    .transform((value, ctx) => {
      const status = parseStatusFilter(String(value));
      if (status === undefined) {
        ctx.addIssue({ code: "custom", message: statusFilterRefusal(String(value)) });
        return z.NEVER;
      }
      return status;
    })
    .optional(),
  /** Only requests through this app (`apps:`): any configured app's name fits. */
  app: z.string().min(1).max(MAX_APP_NAME).optional(),
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
  /** The `nextCursor` of the previous page, given with the order and filters of its query (audit-cursor.ts). */
  cursor: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      "The `nextCursor` of the previous page. Give it with the same `order` and filters as that page (the time bounds and `limit` may change): another order or filter is a 400 naming `cursor`.",
    ),
  /** Rows a page; decimal digits alone, as `--limit` takes them (core/decimal-int.ts). */
  limit: decimalIntField(1, 1000).default(100).describe("Rows a page, 1–1000 (100 when left out)."),
});

/**
 * `/admin/api/audit/export`'s query: the filter, oldest first unless asked, and the format. It
 * streams every matching row, so a page's `limit` or `cursor` is refused as any name it does not read.
 */
export const auditExportQuerySchema = auditFilterSchema.extend({
  order: z.enum(["asc", "desc"]).default("asc"),
  format: z.enum(["ndjson", "csv"]).default("ndjson"),
});

export type AuditFilter = z.infer<typeof auditFilterSchema>;
export type AuditQuery = z.infer<typeof auditQuerySchema>;
