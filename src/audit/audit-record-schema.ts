import { z } from "zod";
import { auditAttemptSchema, MAX_AUDIT_ATTEMPTS } from "./audit-attempt.ts";
import { type AuditRecord, FRONT_DOORS } from "./audit-record.ts";

const text = z.string().nullable();
const count = z.number().int().nonnegative();

/**
 * An `AuditRecord` as an export's NDJSON line carries it (`mindgw audit export`, a stop's
 * unwritten rows): what `mindgw audit import` takes back. Optional fields may be absent or null.
 * Fields it does not know are ignored (a newer mindgw's).
 */
export const auditRecordSchema = z.object({
  requestId: z.string().min(1),
  startedAt: z.number().nonnegative(),
  keyId: text,
  keyName: text,
  tenant: text,
  role: text,
  frontDoor: z.enum(FRONT_DOORS),
  model: text,
  route: text,
  upstreamModel: text,
  status: z.number().int().nonnegative(),
  errorClass: text,
  stream: z.boolean(),
  latencyMs: z.number().nonnegative(),
  ttfbMs: z.number().nonnegative().nullable(),
  inputTokens: count,
  outputTokens: count,
  costUsd: z.number().nonnegative(),
  clientIp: text,
  userAgent: text,
  errorMessage: text.optional(),
  dropped: text.optional(),
  attempts: z.array(auditAttemptSchema).max(MAX_AUDIT_ATTEMPTS).nullable().optional(),
  node: text.optional(),
  servedNode: text.optional(),
  app: text.optional(),
  requestBody: text.optional(),
  responseBody: text.optional(),
}) satisfies z.ZodType<AuditRecord>;
