/**
 * The credentials a text may quote, taken out before anyone reads it: the gateway's own upstream
 * credentials, word for word (an upstream's error may quote the key it was sent: "Invalid request
 * for key …"), and credentials of any account by their well-known shapes. What a caller is told of
 * an upstream's error (scrub-account.ts) and what the gateway writes down (audit/redact-body.ts's
 * `errorText`: audit rows, log lines, span status) both pass here, so neither can hold one. Only
 * error paths pay: nothing here runs for an answer that did not fail.
 */
export const REDACTED = "[redacted]";

/**
 * Credentials by their shapes: mindgw keys; OpenAI's and Anthropic's (`sk-`, `sk-ant-`), Groq's
 * (`gsk_`), xAI's, Google's API keys (`AIza`) and OAuth access tokens (`ya29.`), AWS access key
 * ids; JWTs; bearer tokens.
 */
export const CREDENTIAL_SHAPES: readonly (readonly [RegExp, string])[] = [
  [/mgw_[A-Za-z0-9]{16,}/g, REDACTED],
  [/sk-(?:ant-)?[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/gsk_[A-Za-z0-9]{20,}/g, REDACTED],
  [/xai-[A-Za-z0-9]{20,}/g, REDACTED],
  [/AIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/ya29\.[0-9A-Za-z_-]{20,}/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`],
];

/** Whether a text may hold one of the shapes: one scan, which nearly every text passes. */
const MAY_HOLD_SHAPE = /mgw_|sk-|gsk_|xai-|AIza|ya29\.|AKIA|ASIA|eyJ|bearer/i;

/**
 * A configured value shorter than this is no secret worth the name (`api_key: none`, `EMPTY` for
 * a local server) and would take ordinary words out of messages.
 */
const SHORTEST = 8;

/** Each holder's credentials (a gateway's config versions in use, a worker's upstream key). */
const held = new Map<object, readonly string[]>();
/** Every holder's, longest first (a key that holds another is taken out whole). */
let known: readonly string[] = [];

/**
 * Sets the credentials `holder` knows, in place of those it set before: the gateway's at each
 * config version it serves with, a worker's once. An empty list forgets the holder.
 */
export function holdCredentials(holder: object, values: Iterable<string>): void {
  const kept = [...new Set([...values].filter((value) => value.length >= SHORTEST))];
  if (kept.length === 0) held.delete(holder);
  else held.set(holder, kept);
  known = [...new Set([...held.values()].flat())].sort((a, b) => b.length - a.length);
}

/** Whether `text` may hold a credential: true for any that does; cheap for those that do not. */
export function mayHoldCredential(text: string): boolean {
  if (MAY_HOLD_SHAPE.test(text)) return true;
  for (const value of known) if (text.includes(value)) return true;
  return false;
}

/** `text` with every known credential and every credential shape replaced; the very string when none. */
export function withoutCredentials(text: string): string {
  let out = text;
  for (const value of known) if (out.includes(value)) out = out.replaceAll(value, REDACTED);
  if (!MAY_HOLD_SHAPE.test(out)) return out;
  for (const [pattern, replacement] of CREDENTIAL_SHAPES) out = out.replace(pattern, replacement);
  return out;
}

/**
 * `bytes` (an upstream's error body, as a worker relays it) without `value`: the very bytes when
 * they do not hold it, which is one search.
 */
export function bytesWithout(bytes: Uint8Array, value: string): Uint8Array {
  if (
    value.length < SHORTEST ||
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(value) < 0
  )
    return bytes;
  return new TextEncoder().encode(new TextDecoder().decode(bytes).replaceAll(value, REDACTED));
}
