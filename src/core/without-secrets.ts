/**
 * Credentials by their well-known shapes: mindgw keys, OpenAI and Anthropic keys, bearer tokens,
 * JWTs. The default redaction of stored bodies (audit/redact-body.ts) replaces these.
 */
export const CREDENTIAL_SHAPES: readonly [RegExp, string][] = [
  [/mgw_[A-Za-z0-9]{16,}/g, "[redacted]"],
  [/sk-(?:ant-)?[A-Za-z0-9_-]{16,}/g, "[redacted]"],
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, "[redacted]"],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, "$1[redacted]"],
];

/**
 * A value an error's text names as a secret (`password=hunter2`, `token: abc`, `"api_key": "…"`):
 * a driver's or a plug-in's message quotes its connection string or its request so. For error
 * text only: in a prompt, such words are the caller's prose.
 */
const NAMED_SECRET: [RegExp, string] = [
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',;&}]+/gi,
  "$1$2[redacted]",
];

/** Text with each credential shape replaced. */
export const withoutCredentials = (text: string): string =>
  CREDENTIAL_SHAPES.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);

/** An error's text as the gateway writes it down: no credential, by its shape or by its name. */
export const withoutSecrets = (text: string): string =>
  withoutCredentials(text).replace(NAMED_SECRET[0], NAMED_SECRET[1]);
