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

test("a leading byte-order mark is the body's own: kept, as the bytes came", () => {
  // The parse skips it (read-json-body.ts decodes with the mark dropped); the row is the bytes.
  const sent = '\uFEFF{"model":"m","messages":[{"role":"user","content":"\uFEFFmarked"}]}';
  const bytes = new TextEncoder().encode(sent);
  expect(auditedRequestBody(bytes, JSON.parse(sent.slice(1)))).toBe(sent);
  // Read whole as text, the bytes leave it out and the read says so: the row puts it back.
  expect(auditedRequestBody(bytes.subarray(3), JSON.parse(sent.slice(1)), true)).toBe(sent);
});
