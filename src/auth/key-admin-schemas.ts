import { z } from "zod";
import { MAX_TENANT_NAME } from "../config/tenant-config.ts";
import { parseDuration } from "../config/units.ts";
import { builtOnFirstUse } from "../core/built-on-first-use.ts";
import { CONTROL_CLASS, holdsControl } from "../core/printable.ts";
import { roleSchema } from "../storage/key-record.ts";
import { JWT_SUBJECT_PREFIX, KEY_ID_PREFIX, readsAsCallerId } from "./caller-id.ts";

// Accepts JSON numbers (HTTP) and numeric strings (CLI flags, the web UI's fields) alike, signed or
// not (`-3`, `.5`), with an exponent as JSON writes one (`1e5`), so a negative is told what is
// allowed rather than that it is no number; anything else is told what was expected (a union would
// only say "Invalid input").
const numeric = (v: unknown) =>
  typeof v === "string" && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(v) ? Number(v) : v;

/**
 * The longest a key's life or a rotation's grace may run (100 years): an end past it is no end an
 * admin means, and one past JavaScript's dates (year 275760) could be stored but never shown.
 */
export const MAX_KEY_LIFE_MS = 36_500 * 86_400_000;
const TOO_LONG = "at most 36500d (100 years)";
/**
 * Why an absolute expiry (ISO 8601, as the schemas let through) is refused at `now`, the key
 * admin's clock: one already past, or one further off than a lifetime may run. Judged by the key
 * admin after the schemas (a schema holds no clock: one set serves every key admin and the API's
 * document); undefined when it stands.
 */
export function expiryRefusal(expiresAt: string, now: number): string | undefined {
  const at = Date.parse(expiresAt);
  if (at <= now) return "is in the past: the key would be born expired";
  if (at > now + MAX_KEY_LIFE_MS)
    return "is more than 36500d (100 years) away; leave it out for a key that never expires";
  return undefined;
}

/**
 * The highest rpm a key may have: what PostgreSQL's `api_keys.rpm` column (INTEGER) holds. Past it
 * the store refused the key, which read as the store being down (503 "try again later"); an rpm
 * this high is no limit in practice. tpm's column (BIGINT) holds every whole number a JSON number
 * carries exactly; SQLite's INTEGER columns hold both.
 */
export const MAX_RPM = 2_147_483_647;

/** A limit: a whole number from 1 to `max`, said in the input's document too. */
const positiveInt = (max: number) =>
  z.preprocess(
    numeric,
    // The bound first: a whole number past it (1e20, beyond what a double holds exactly) is too
    // large, not "no whole number", which is what `int` says of any number it cannot hold exactly.
    z
      .number({ error: "expected a whole number" })
      .max(max, `at most ${max} (leave it out for no limit)`)
      .int("expected a whole number")
      .positive("must be at least 1 (leave it out for no limit)"),
  );

/**
 * A duration as `parseDuration` reads one, for the document (JSON Schema has no case-insensitive
 * flag): a number and its unit, or a bare 0; `ahead`, a lookahead every match must meet too.
 */
const durationPattern = (ahead: string) =>
  `^\\s*${ahead}(?:\\d+(?:\\.\\d+)?\\s*(?:[mM][sS]|[sSmMhHdD])|0+(?:\\.0+)?)\\s*$`;
const DURATION_WORDS = "A duration (`10m`, `12h`, `30d`; `ms`, `s`, `m`, `h`, `d`), at most 36,500 days";

/**
 * Text an operator gives and others read (a key's name, its tenant, a model glob): shown in the web
 * UI, the logs, `mindgw tail`, `mindgw keys list` and CSV exports, so never a control character
 * (NUL, ESC, CR, LF, tab, DEL, C1), which a terminal acts on or a log line breaks at. Judged as
 * given, before the edges are trimmed, as the document's pattern (`NO_CONTROL_AHEAD`) judges it.
 */
const shownText = () =>
  z
    .string()
    .refine((text) => !holdsControl(text), "may not hold a control character (U+0000–U+001F, U+007F–U+009F)");
/** A lookahead for the document's patterns: no control character anywhere in the value. */
const NO_CONTROL_AHEAD = `(?=[^${CONTROL_CLASS}]*$)`;

/** The fields' schemas, shared by the inputs below. */
function fieldSchemas() {
  const rpm = positiveInt(MAX_RPM);
  const tpm = positiveInt(Number.MAX_SAFE_INTEGER);
  const positiveNumber = z.preprocess(
    numeric,
    z.number({ error: "expected a number" }).positive("must be more than 0 (leave it out for no budget)"),
  );
  // `gpt-*,llama-*` from a flag or ["gpt-*", "llama-*"] from JSON.
  // The document says what the transform and pipe check (openapi-key-inputs.test.ts): an entry.
  const modelList = z
    .union([
      shownText().meta({ pattern: `^${NO_CONTROL_AHEAD}[\\s\\S]*[^,\\s]` }),
      z
        .array(shownText().meta({ maxLength: 200, pattern: `^${NO_CONTROL_AHEAD}` }))
        .meta({ minItems: 1, maxItems: 200, contains: { type: "string", pattern: "\\S" } }),
    ])
    .transform((v) => (typeof v === "string" ? v.split(",") : v).map((m) => m.trim()).filter((m) => m !== ""))
    .pipe(z.array(z.string().max(200)).min(1, "at least one model glob").max(200));
  const duration = z
    .string()
    .refine((t) => parseDuration(t) !== undefined, "expected a duration like 10m, 12h, 30d")
    .refine((t) => (parseDuration(t) ?? 0) <= MAX_KEY_LIFE_MS, TOO_LONG)
    .meta({ pattern: durationPattern(""), description: DURATION_WORDS });
  /** A key's life from now: a key that would be born expired is refused, not issued. */
  const lifetime = duration
    .refine((t) => (parseDuration(t) ?? 0) > 0, "expected a duration above 0, like 30d")
    .meta({ pattern: durationPattern("(?=[^1-9]*[1-9])"), description: `${DURATION_WORDS}, above 0` });
  /**
   * A key's name: shown and matched beside callers' ids (a JWT subject's `jwt:…`, a key's `key_…`),
   * so never spelt like one. Keys named so before this rule keep their names.
   */
  const keyName = shownText()
    .trim()
    .min(1)
    .max(100)
    .refine(
      (name) => !readsAsCallerId(name),
      `may not start with "${JWT_SUBJECT_PREFIX}" or "${KEY_ID_PREFIX}": it would read as a JWT subject's or a key's id`,
    )
    // A URL path cannot name it: every HTTP client reads /admin/api/keys/.. as /admin/api/ (dot
    // segments, %2E too), so the admin API, the CLI and the web UI could not reach it by name.
    .refine(
      (name) => name !== "." && name !== "..",
      "may not be . or ..: a URL path cannot name it (/admin/api/keys/.. reads as /admin/api/)",
    )
    // No control character; not blank, nor (trimmed, in any case) `jwt:…`, `key_…`, `.` or `..`.
    .meta({ pattern: `^${NO_CONTROL_AHEAD}\\s*(?![jJ][wW][tT]:|[kK][eE][yY]_|\\.\\.?\\s*$)\\S` });
  /** A key's tenant: a configured tenant's name, or a free label when none is configured. */
  const tenant = shownText()
    .trim()
    .min(1)
    .max(MAX_TENANT_NAME)
    .meta({ pattern: `^${NO_CONTROL_AHEAD}\\s*\\S` });
  return { rpm, tpm, positiveNumber, modelList, duration, lifetime, keyName, tenant };
}

/**
 * What an `expires_at` without Z or an offset is told: a local time would mean another instant on a
 * CLI and on a gateway in other zones, so it is refused, naming the forms taken (not zod's words).
 */
const ZONED_WORDS =
  "expected an ISO 8601 date-time with seconds and Z or an offset ±HH:MM (2031-01-31T00:00:00Z, 2031-01-31T09:00:00+09:00); a time without Z or an offset is refused: it would be read in some machine's zone";

const eitherExpiry = {
  message: "give expires_at or expires_in, not both",
  path: ["expires_in"],
};

/**
 * The input schemas of key administration, made on the first key created, changed or rotated (or
 * the API's document, which describes the same set): a gateway whose keys are never administered
 * holds none of them (core/built-on-first-use.ts). An `expires_at` is judged against the key
 * admin's clock after them (`expiryRefusal`).
 */
export const keyInputSchemas = builtOnFirstUse("key administration's input schemas", () => {
  const { rpm, tpm, positiveNumber, modelList, duration, lifetime, keyName, tenant } = fieldSchemas();
  /** What bounds a key: its models, limits and life. Shared by creating a key and changing its limits. */
  const limits = {
    models: modelList,
    rpm: rpm.nullable(),
    tpm: tpm.nullable(),
    budget_usd: positiveNumber.nullable(),
    /** Absolute expiry (ISO 8601, with Z or an offset); null: never. */
    expires_at: z.iso.datetime({ offset: true, error: ZONED_WORDS }).nullable(),
    /** Relative expiry (`30d`), the alternative to `expires_at`. */
    expires_in: lifetime,
  };
  return {
    /** Input of `keys create` and `POST /admin/api/keys`. */
    create: z
      .object({
        name: keyName,
        /** Absent: the creating admin's own tenant (`default`, outside every tenant, for an admin in none). */
        tenant: tenant.optional(),
        role: roleSchema.default("user"),
        models: limits.models.default(["*"]),
        rpm: limits.rpm.default(null),
        tpm: limits.tpm.default(null),
        budget_usd: limits.budget_usd.default(null),
        expires_at: limits.expires_at.default(null),
        expires_in: limits.expires_in.optional(),
      })
      .strict()
      .refine((v) => v.expires_at === null || v.expires_in === undefined, eitherExpiry)
      .meta({
        not: { required: ["expires_at", "expires_in"], properties: { expires_at: { type: "string" } } },
      }),
    /**
     * Input of `keys update` and `POST /admin/api/keys/:id/limits`: only what is given changes;
     * null lifts a limit (no rpm, no budget, no expiry).
     */
    limits: z
      .object({
        models: limits.models.optional(),
        rpm: limits.rpm.optional(),
        tpm: limits.tpm.optional(),
        budget_usd: limits.budget_usd.optional(),
        expires_at: limits.expires_at.optional(),
        expires_in: limits.expires_in.optional(),
      })
      .strict()
      .refine((v) => v.expires_at === undefined || v.expires_in === undefined, eitherExpiry)
      .refine((v) => Object.keys(v).length > 0, {
        message: "give at least one of models, rpm, tpm, budget_usd, expires_at, expires_in",
      })
      .meta({ minProperties: 1, not: { required: ["expires_at", "expires_in"] } }),
    /** Input of `keys rotate` and `POST /admin/api/keys/:id/rotate`. */
    rotate: z
      .object({
        /** How long the old key keeps working beside the new one. */
        grace: duration.default("10m"),
      })
      .strict(),
  };
});
export type KeyInputSchemas = ReturnType<typeof keyInputSchemas>;
export type CreateKeyInput = z.input<KeyInputSchemas["create"]>;
export type CreateKeyFields = z.output<KeyInputSchemas["create"]>;
export type KeyLimitsInput = z.input<KeyInputSchemas["limits"]>;
export type KeyLimitsFields = z.output<KeyInputSchemas["limits"]>;

export type RotateKeyInput = z.input<KeyInputSchemas["rotate"]>;
