import { describe, expect, test } from "bun:test";
import { holdCredentials } from "../core/credentials.ts";
import { forCallers } from "../core/for-callers.ts";
import { errorText, redactSecrets } from "./redact-body.ts";

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

test("a mindgw key is found where a token starts; after a hyphen or underscore only whole, never inside a word", () => {
  const key = `mgw_${"AbCd3".repeat(8)}EfG`;
  expect(errorText(`model claude-x-${key} and x_${key}`)).toBe("model claude-x-[redacted] and x_[redacted]");
  expect(redactSecrets(`{"model":"claude-${key}"}`, "request")).toBe('{"model":"claude-[redacted]"}');
  // At a token's start a key cut short is still one; glued onto a word, 43 characters and no more.
  expect(errorText("key mgw_AbCdEfGhIjKlMnOpQrStUv")).toBe("key [redacted]");
  expect(errorText("claude-x-mgw_AbCdEfGhIjKlMnOpQrStUv")).toBe("claude-x-mgw_AbCdEfGhIjKlMnOpQrStUv");
  expect(errorText(`claude-x-${key}A`)).toBe(`claude-x-${key}A`);
  expect(errorText(`x${key}`)).toBe(`x${key}`);
});

test("error text: no credential, at most 500 characters, on one line only when asked", () => {
  const message = `upstream said:\n  bad key sk-proj-1234567890abcdefXYZ\n${"x".repeat(600)}`;
  for (const oneLine of [false, true]) {
    const text = errorText(message, oneLine);
    expect(text).not.toContain("sk-proj");
    expect(text.length).toBe(501);
    expect(text.endsWith("…")).toBe(true);
    expect(text.includes("\n")).toBe(!oneLine);
  }
  expect(errorText("short\n\tone", true)).toBe("short one");
});

test("error text: a value its words name as a secret is redacted, whatever its shape", () => {
  expect(errorText("Error: policy db down token=sk-secret", true)).toBe(
    "Error: policy db down token=[redacted]",
  );
  expect(
    errorText(
      'connect failed: password=hunter2 {"api_key": "abc123def"} Authorization: Basic dXNlcjpodW50ZXIy',
      true,
    ),
  ).toBe('connect failed: password=[redacted] {"api_key": "[redacted]"} Authorization: Basic [redacted]');
  // Tokens counted are no secret, and a prompt's prose is kept by the bodies' redaction.
  expect(errorText("max_tokens: 5 exceeds input_tokens=9", true)).toBe(
    "max_tokens: 5 exceeds input_tokens=9",
  );
  expect(redactSecrets("my password: tulip", "request")).toBe("my password: tulip");
});

test("error text: the gateway's own credentials word for word, and the common key shapes", () => {
  const holder = {};
  holdCredentials(holder, ["plainUpstreamToken_9f8e7d6c5b4a", "azureStyleKey0123456789abcdef0123", "none"]);
  try {
    const message =
      "key plainUpstreamToken_9f8e7d6c5b4a, header azureStyleKey0123456789abcdef0123, none of gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 xai-AbCdEfGhIjKlMnOpQrStUvWx1 AIzaSyD-abcdefghijklmnopqrstuvwxyz012345 AKIAIOSFODNN7EXAMPLE sk-ant-api03-abcdefghijklmnop ya29.a0AfH6SMBabcdefghijklmnopqrstu";
    expect(errorText(message)).toBe(
      "key [redacted], header [redacted], none of [redacted] [redacted] [redacted] [redacted] [redacted] [redacted]",
    );
  } finally {
    holdCredentials(holder, []);
  }
  // A value too short to be a secret (`api_key: none`) takes no word out.
  expect(errorText("none of these")).toBe("none of these");
});

test("error text: a credential named in a compound, quoted, or in a URL's userinfo is redacted", () => {
  const cases: [string, string][] = [
    [
      "connect ECONNREFUSED postgres://app:hunter2@db:5432/x",
      "connect ECONNREFUSED postgres://app:[redacted]@db:5432/x",
    ],
    ["redis://:s3cr3tpass@cache:6379 ECONNREFUSED", "redis://:[redacted]@cache:6379 ECONNREFUSED"],
    ["client_secret=abcd1234 rejected", "client_secret=[redacted] rejected"],
    ["access_token=ya29.a0AfH6SMBxyz rejected", "access_token=[redacted] rejected"],
    ["refresh_token=1//0gAbCdEf rejected by Google", "refresh_token=[redacted] rejected by Google"],
    ["DB_PASSWORD=hunter2 missing", "DB_PASSWORD=[redacted] missing"],
    ["Authorization: Basic dXNlcjpodW50ZXIy", "Authorization: Basic [redacted]"],
    ['password: "hunter two"', 'password: "[redacted]"'],
    ["x-api-key: abc123def", "x-api-key: [redacted]"],
    ["login failed (vault_token=hvs.CAESIJ9x)", "login failed (vault_token=[redacted])"],
  ];
  expect(cases.map(([text]) => errorText(text, true))).toEqual(cases.map(([, redacted]) => redacted));
  // Redacted again (a detail that errorText wrote down, then logged), it is as it was.
  expect(cases.map(([, redacted]) => errorText(redacted, true))).toEqual(
    cases.map(([, redacted]) => redacted),
  );
});

test("error text: the words of a message that names a secret are kept when no credential follows", () => {
  const kept = [
    "unexpected token: expected ',' at line 1",
    "Request header field authorization: not allowed by Access-Control-Allow-Headers",
    "authorization: required for this model",
    "invalid token: signature mismatch",
    "token: expired at 2026-01-01",
    "Secret: none configured",
    "pwd=/var/lib/app",
    "providers[1].api_key: Required",
    "auth.jwt.secret: String must contain at least 32 character(s)",
    "Unexpected token: }",
    "You can find your API key at https://platform.openai.com/account/api-keys.",
  ];
  expect(kept.map((text) => errorText(text, true))).toEqual(kept);
});

test("error text: a hyphenated model or tool name is no key, a generated `sk-` key is", () => {
  expect(errorText("The model `risk-assessment-classifier-v2` does not exist")).toBe(
    "The model `risk-assessment-classifier-v2` does not exist",
  );
  expect(errorText("Invalid tool name: task-specific-summariser")).toBe(
    "Invalid tool name: task-specific-summariser",
  );
  expect(errorText("model sk-assessment-classifier-v2, key sk-abcdefghijklmnopqrstuvwx")).toBe(
    "model sk-assessment-classifier-v2, key [redacted]",
  );
});

describe("error text of any length is read in time in proportion to the 500 characters kept", () => {
  // Each was read in time in the square of its length by one pattern or another (a 1 MB "a_a_…"
  // took seconds in the compound name's, "eyJeyJ…" a minute in the JWT's).
  const adversarial = [
    "a_",
    "password=",
    "sk-",
    "http://",
    "eyJ",
    "1.",
    "http://a[",
    "bearer ",
    "a.b",
    "console.cloud.google.com/project",
  ];
  // No clock read: the test's deadline is the bound (each takes well under a second now).
  test.each(adversarial)(
    "%p a million characters long",
    (unit) => {
      const message = unit.repeat(Math.ceil(1_000_000 / unit.length));
      expect(errorText(message, true).length).toBeLessThanOrEqual(501);
      expect(forCallers(message).length).toBeGreaterThan(0);
    },
    10_000,
  );

  test("a credential that straddles the cut is not half kept", () => {
    const holder = {};
    const privateKey = `-----BEGIN PRIVATE KEY-----\n${"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".repeat(40)}\n-----END PRIVATE KEY-----`;
    holdCredentials(holder, [privateKey]);
    try {
      const said = `${"x".repeat(450)} key ${privateKey} rejected`;
      expect(errorText(said)).toBe(`${"x".repeat(450)} key [redacted] rejected`);
      // A key of a known shape across the 500th character, in a message cut at 700 + the margin.
      const shaped = `${"x".repeat(480)} sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUvWx ${"y".repeat(100_000)}`;
      expect(errorText(shaped)).toBe(`${"x".repeat(480)} [redacted] ${"y".repeat(8)}…`);
    } finally {
      holdCredentials(holder, []);
    }
  });
});
