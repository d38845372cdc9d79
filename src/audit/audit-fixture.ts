import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "./audit-record.ts";

/** A complete, plausible record for tests; override what the test is about. */
export function makeRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    requestId: `req_${Math.random().toString(36).slice(2)}`,
    startedAt: 1_700_000_000_000,
    keyId: "key_1",
    keyName: "ci",
    tenant: "acme",
    role: "user",
    frontDoor: "chat",
    model: "gpt-4o-mini",
    route: "provider:openai",
    upstreamModel: "gpt-4o-mini-2024-07-18",
    status: 200,
    errorClass: null,
    stream: false,
    latencyMs: 12.5,
    ttfbMs: 3.25,
    inputTokens: 10,
    outputTokens: 20,
    costUsd: 0.0001,
    clientIp: "127.0.0.1",
    userAgent: "OpenAI/JS 7.0",
    ...overrides,
  };
}

/** The optional fields `makeRecord` leaves out, as a stored row reads them back: null. */
export const ABSENT_AS_NULL = {
  errorMessage: null,
  dropped: null,
  attempts: null,
  node: null,
  servedNode: null,
  app: null,
  requestBody: null,
  responseBody: null,
} as const;

/** A temp directory removed by the returned cleanup. */
export function tempDir(): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), "mindgw-audit-"));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
