import { expect, test } from "bun:test";
import { redactSecrets } from "./redact-body.ts";

test("credentials in a body are replaced, the rest of the text is kept", () => {
  const body = JSON.stringify({
    messages: [
      { role: "user", content: "my key is mgw_AbCdEfGhIjKlMnOpQrStUv and sk-proj-1234567890abcdefXYZ" },
      {
        role: "user",
        content: "Authorization: Bearer abc.def-ghi_12345 and eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
      },
    ],
  });
  const redacted = redactSecrets(body, "request");
  for (const secret of ["mgw_AbCd", "sk-proj", "abc.def-ghi_12345", "eyJhbGci"])
    expect(redacted).not.toContain(secret);
  expect(redacted).toContain("my key is [redacted]");
  expect(redacted).toContain("Bearer [redacted]");
  expect(JSON.parse(redacted).messages).toHaveLength(2);
});
