import { z } from "zod";
import { parseDuration } from "../config/units.ts";
import { roleSchema } from "../storage/key-record.ts";

// Accepts JSON numbers (HTTP) and numeric strings (CLI flags) alike; anything else is told
// what was expected (a union would only say "Invalid input").
const numeric = (v: unknown) => (typeof v === "string" && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v);
const positiveInt = z.preprocess(
  numeric,
  z
    .number({ error: "expected a whole number" })
    .int("expected a whole number")
    .positive("must be at least 1 (leave it out for no limit)"),
);
const positiveNumber = z.preprocess(
  numeric,
  z.number({ error: "expected a number" }).positive("must be more than 0 (leave it out for no budget)"),
);
// `gpt-*,llama-*` from a flag or ["gpt-*", "llama-*"] from JSON.
const modelList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === "string" ? v.split(",") : v).map((m) => m.trim()).filter((m) => m !== ""))
  .pipe(z.array(z.string().max(200)).min(1, "at least one model glob").max(200));
const duration = z
  .string()
  .refine((t) => parseDuration(t) !== undefined, "expected a duration like 10m, 12h, 30d");
/** A key's life from now: a key that would be born expired is refused, not issued. */
const lifetime = duration.refine((t) => (parseDuration(t) ?? 0) > 0, "expected a duration above 0, like 30d");

/** Input of `keys create` and `POST /admin/api/keys`. */
export const createKeyInputSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    /** Absent: the creating admin's own tenant (`default`, outside every tenant, for an admin in none). */
    tenant: z.string().trim().min(1).max(100).optional(),
    role: roleSchema.default("user"),
    models: modelList.default(["*"]),
    rpm: positiveInt.nullable().default(null),
    tpm: positiveInt.nullable().default(null),
    budget_usd: positiveNumber.nullable().default(null),
    /** Absolute expiry (ISO 8601). */
    expires_at: z.iso.datetime({ offset: true }).nullable().default(null),
    /** Relative expiry (`30d`), the alternative to `expires_at`. */
    expires_in: lifetime.optional(),
  })
  .strict()
  .refine((v) => v.expires_at === null || v.expires_in === undefined, {
    message: "give expires_at or expires_in, not both",
    path: ["expires_in"],
  });
export type CreateKeyInput = z.input<typeof createKeyInputSchema>;
export type CreateKeyFields = z.output<typeof createKeyInputSchema>;

/** Input of `keys rotate` and `POST /admin/api/keys/:id/rotate`. */
export const rotateKeyInputSchema = z
  .object({
    /** How long the old key keeps working beside the new one. */
    grace: duration.default("10m"),
  })
  .strict();
export type RotateKeyInput = z.input<typeof rotateKeyInputSchema>;
