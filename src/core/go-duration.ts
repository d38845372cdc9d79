/**
 * Go's duration text, as OpenAI writes its rate-limit resets and the waits in its rate limits'
 * words ("6m0s", "1s", "20ms", "Please try again in 7m12s"); Azure's resets are bare seconds.
 */
const SECONDS = /^\d+(?:\.\d+)?$/;
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/** A Go duration ("1h2m3.5s", "20ms") or bare seconds ("60"), in ms; undefined when it is neither. */
export function durationMs(text: string | null): number | undefined {
  const value = text?.trim();
  if (!value) return undefined;
  if (SECONDS.test(value)) return Number(value) * 1000;
  if (!GO_DURATION.test(value)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of value.matchAll(GO_PART)) ms += Number(amount) * (UNIT_MS[unit ?? ""] ?? 0);
  return ms;
}
