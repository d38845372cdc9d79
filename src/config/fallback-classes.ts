/** Failures a model may fail over on although retrying the same route could not help. */
export const FALLBACK_CLASSES = ["context_length", "content_policy", "rate_limit"] as const;
export type FallbackClass = (typeof FALLBACK_CLASSES)[number];
