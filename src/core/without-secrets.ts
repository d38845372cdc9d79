import { withoutCredentials } from "./credentials.ts";

/**
 * A value an error's text names as a secret (`password=hunter2`, `token: abc`, `"api_key": "…"`):
 * a driver's or a plug-in's message quotes its connection string or its request so. For error
 * text only: in a prompt, such words are the caller's prose.
 */
const NAMED_SECRET: [RegExp, string] = [
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',;&}]+/gi,
  "$1$2[redacted]",
];

/**
 * An error's text as the gateway writes it down: no credential, one of the gateway's own or one of
 * a known shape (credentials.ts), nor a value its name says is secret.
 */
export const withoutSecrets = (text: string): string =>
  withoutCredentials(text).replace(NAMED_SECRET[0], NAMED_SECRET[1]);
