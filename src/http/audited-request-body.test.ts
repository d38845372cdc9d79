import { expect, test } from "bun:test";
import { redactSecrets } from "../audit/redact-body.ts";
import { auditedRequestBody } from "./audited-request-body.ts";

const audited = (text: string) =>
  redactSecrets(auditedRequestBody(new TextEncoder().encode(text), JSON.parse(text)), "request");

test("a body whose escapes JSON.stringify writes alike is kept as it came, its credentials redacted", () => {
  const sent =
    '{ "model": "m",\n  "messages": [{"role": "user", "content": "line\\none \\"Bearer abcdefghijkl\\" \\\\/ok"}] }';
  expect(audited(sent)).toBe(
    '{ "model": "m",\n  "messages": [{"role": "user", "content": "line\\none \\"Bearer [redacted]\\" \\\\/ok"}] }',
  );
});

test("PHP's escaped slashes and \\u escapes: the body serialised again, so the whole credential is redacted", () => {
  // json_encode's default: "Bearer abc\/def…" was redacted only up to the backslash (not at all here).
  for (const sent of [
    '{"model":"m","messages":[{"role":"user","content":"use Bearer abc\\/defghijklmnop"}]}',
    '{"model":"m","messages":[{"role":"user","content":"use \\u0042earer abcdefghijklmnop"}]}',
  ]) {
    const kept = audited(sent);
    expect(kept).toContain("Bearer [redacted]");
    expect(kept).not.toContain("ghijklmnop");
  }
});
